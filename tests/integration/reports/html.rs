//! The HTML page: self-contained, safe from record values, and working in Chromium.

use super::*;

// ---------------------------------------------------------------- HTML

fn html_report(args: &[&str]) -> String {
    let mut all = vec!["--format", "html"];
    all.extend_from_slice(args);
    check(&all).stdout
}

/// The embedded violations, as the page's script reads them.
fn html_data(page: &str) -> Value {
    let start = page.find("id=\"violations-data\">").unwrap() + "id=\"violations-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

#[test]
fn html_is_self_contained_with_totals_charts_and_waivers() {
    let page = html_report(&EXAMPLES);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched at view time.
    for needle in [
        "<link",
        " src=",
        "href=\"http",
        "@import",
        "url(",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!page.contains(needle), "the page contains {needle}");
    }
    assert!(page.contains("default-src 'none'"));
    let json = check(
        &["--format", "json"]
            .iter()
            .chain(EXAMPLES.iter())
            .copied()
            .collect::<Vec<_>>(),
    )
    .json();
    let summary = &json["summary"];
    for (total, key) in [("deny", "deny"), ("warn", "warn"), ("allow", "allow")] {
        let card = format!(
            "data-total=\"{total}\"><div class=\"value\">{}</div>",
            summary["decisions"][key]
        );
        assert!(page.contains(&card), "{card}");
    }
    for chart in ["chart-rule", "chart-target", "chart-owner", "chart-time"] {
        let at = page.find(&format!("id=\"{chart}\"")).unwrap();
        let figure = &page[at..at + page[at..].find("</figure>").unwrap()];
        assert!(figure.contains("class=\"bar"), "{chart} has no bars");
    }
    let data = html_data(&page);
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len() as u64, summary["violations"].as_u64().unwrap());
    // Waived findings stand apart, with the exception and its reason.
    let waived = &page[page.find("id=\"waived\"").unwrap()..];
    assert!(waived.contains(&format!("Waived findings ({})", summary["waived"])));
    let first_waived = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["violations"].as_array().unwrap())
        .find(|v| v.get("waived_by").is_some())
        .expect("the examples have a waived violation");
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    assert!(waived.contains(&escape(first_waived["waived_by"].as_str().unwrap())));
    assert!(waived.contains(&escape(first_waived["waiver_reason"].as_str().unwrap())));
}

#[test]
fn html_cannot_be_broken_out_of_by_record_values() {
    let dir = scratch_dir("html-inject");
    let input = write(
        &dir,
        "in.jsonl",
        "{\"SessionId\":\"s-1\",\"Target\":\"i-</script><script>alert(1)</script>\",\"Reason\":\"<img src=x onerror=alert(1)>\",\"AccessType\":\"JustInTime\"}\n",
    );
    let page = html_report(&[input.to_str().unwrap()]);
    assert_eq!(
        page.matches("<script").count(),
        2,
        "only the page's own scripts"
    );
    assert!(!page.contains("<img"));
    let data = html_data(&page);
    assert!(
        data["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r[5] == "i-</script><script>alert(1)</script>")
    );
}

#[test]
fn html_report_is_the_same_for_the_same_input() {
    assert_eq!(html_report(&EXAMPLES), html_report(&EXAMPLES));
}

/// Finds Chromium, or says why the browser test is skipped.
fn chromium() -> Option<PathBuf> {
    let candidates = ["chromium", "chromium-browser", "google-chrome"];
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        candidates.iter().find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|p| p.is_file())
            })
        })
    });
    if found.is_none() {
        eprintln!("skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM)");
    }
    found
}

/// The page's DOM after its scripts ran, in headless Chromium, at `fragment`.
fn rendered_dom(browser: &Path, page: &Path, fragment: &str) -> String {
    let profile = scratch_dir("chromium-profile");
    let output = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn table_rows(dom: &str) -> Vec<&str> {
    let body = &dom[dom.find("<tbody>").unwrap()..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split("<tr ").skip(1).collect()
}

fn matching(dom: &str) -> usize {
    let at = dom.find("id=\"count\"").unwrap();
    let tag = &dom[at..at + dom[at..].find('>').unwrap()];
    let value = tag.split("data-matching=\"").nth(1).unwrap();
    value[..value.find('"').unwrap()].parse().unwrap()
}

#[test]
#[ignore = "opt-in: needs Debian's chromium (apt-get install chromium); run with --ignored"]
fn html_renders_and_filters_in_headless_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = scratch_dir("html-browser");
    let page = dir.join("report.html");
    let mut args = vec!["check", "--now", NOW, "--output"];
    let output_arg = format!("html={}", page.display());
    args.push(&output_arg);
    args.extend_from_slice(&EXAMPLES);
    run(&args);
    let data = html_data(&std::fs::read_to_string(&page).unwrap());
    let rows: Vec<Value> = data["rows"].as_array().unwrap().clone();
    assert!(!rows.is_empty());

    let dom = rendered_dom(&browser, &page, "");
    assert!(
        dom.contains("Session Manager sessions: policy report"),
        "{dom}"
    );
    assert_eq!(table_rows(&dom).len(), rows.len());
    assert_eq!(matching(&dom), rows.len());
    assert!(
        dom.matches("class=\"bar").count() > 4,
        "the charts have bars"
    );

    // Filter by rule, as the select does (the filter lives in the URL's fragment): the rule
    // with the most violations.
    let count_of = |rule: &str| rows.iter().filter(|r| r[3] == rule).count();
    let rule = rows
        .iter()
        .map(|r| r[3].as_str().unwrap())
        .max_by_key(|rule| (count_of(rule), std::cmp::Reverse(*rule)))
        .unwrap();
    let expected = count_of(rule);
    assert!(expected > 1 && expected < rows.len());
    let dom = rendered_dom(
        &browser,
        &page,
        &format!("#rule={}", rule.replace('/', "%2F")),
    );
    let shown = table_rows(&dom);
    assert_eq!(shown.len(), expected);
    assert!(
        shown
            .iter()
            .all(|r| r.contains(&format!("data-rule=\"{rule}\"")))
    );

    // Free text and decision together.
    let needle = rows
        .iter()
        .find(|r| r[0] == "warn")
        .map(|r| r[4].as_str().unwrap().to_lowercase())
        .unwrap();
    let expected = rows
        .iter()
        .filter(|r| r[0] == "warn" && r.to_string().to_lowercase().contains(&needle))
        .count();
    assert!(expected >= 1);
    let fragment = format!("#q={}&decision=warn", needle.to_uppercase());
    let dom = rendered_dom(&browser, &page, &fragment);
    assert_eq!(matching(&dom), expected);
    assert_eq!(table_rows(&dom).len(), expected);
}

/// The page's DOM after its scripts ran and then clicked, in order, the violations' headers
/// titled `titles`.
fn clicked_dom(browser: &Path, page: &Path, titles: &[&str]) -> String {
    let clicks: String = titles
        .iter()
        .map(|title| {
            format!("document.querySelector('#violations th[title=\"{title}\"]').click();")
        })
        .collect();
    let text = std::fs::read_to_string(page).unwrap();
    let at = text.rfind("</body>").unwrap();
    let copy = page.with_file_name("clicked.html");
    let clicked = format!("{}<script>{clicks}</script>{}", &text[..at], &text[at..]);
    std::fs::write(&copy, clicked).unwrap();
    rendered_dom(browser, &copy, "")
}

/// The text of the `index`-th badge of each shown row: 0 the decision, 1 the severity.
fn badges(dom: &str, index: usize) -> Vec<String> {
    table_rows(dom)
        .iter()
        .map(|row| {
            let badge = row.split("class=\"badge ").nth(index + 1).unwrap();
            badge[..badge.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The value of attribute `data-{name}` of each shown row.
fn row_data(dom: &str, name: &str) -> Vec<String> {
    let needle = format!("data-{name}=\"");
    table_rows(dom)
        .iter()
        .map(|row| {
            let value = &row[row.find(&needle).unwrap() + needle.len()..];
            value[..value.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The text of each shown row's cell of class `class`.
fn cells(dom: &str, class: &str) -> Vec<String> {
    let needle = format!("<td class=\"{class}\">");
    table_rows(dom)
        .iter()
        .map(|row| {
            let value = &row[row.find(&needle).unwrap() + needle.len()..];
            value[..value.find('<').unwrap()].to_owned()
        })
        .collect()
}

#[test]
#[ignore = "opt-in: needs Debian's chromium (apt-get install chromium); run with --ignored"]
fn html_sorts_by_the_clicked_header_in_headless_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = scratch_dir("html-sort");
    let page = dir.join("report.html");
    let mut args = vec!["check", "--now", NOW, "--output"];
    let output_arg = format!("html={}", page.display());
    args.push(&output_arg);
    args.extend_from_slice(&EXAMPLES);
    run(&args);
    let data = html_data(&std::fs::read_to_string(&page).unwrap());
    let rows: Vec<Value> = data["rows"].as_array().unwrap().clone();
    let column = |name: &str| {
        data["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == name)
            .unwrap()
    };
    let text = |row: &Value, name: &str| row[column(name)].as_str().unwrap().to_owned();
    // Ties keep the rows' order in the data, whichever the direction.
    let sorted = |key: &dyn Fn(&Value) -> (i64, String), descending: bool| {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| {
            let by_key = key(&rows[a]).cmp(&key(&rows[b]));
            (if descending { by_key.reverse() } else { by_key }).then(a.cmp(&b))
        });
        order
    };
    let rank = |severity: &str| match severity {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        _ => 1,
    };

    // A ranked column sorts the most serious first on the first click.
    let dom = clicked_dom(&browser, &page, &["Sort by Severity"]);
    let expected: Vec<String> = sorted(&|r| (rank(&text(r, "severity")), String::new()), true)
        .iter()
        .map(|&i| text(&rows[i], "severity"))
        .collect();
    assert!(expected.first() != expected.last(), "severities differ");
    assert_eq!(badges(&dom, 1), expected);
    assert!(dom.contains("aria-sort=\"descending\""));

    // Text sorts ascending first.
    let dom = clicked_dom(&browser, &page, &["Sort by Rule"]);
    let by_rule = sorted(&|r| (0, text(r, "rule")), false);
    let expected: Vec<String> = by_rule.iter().map(|&i| text(&rows[i], "rule")).collect();
    assert_eq!(row_data(&dom, "rule"), expected);
    let decisions: Vec<String> = by_rule
        .iter()
        .map(|&i| text(&rows[i], "decision"))
        .collect();
    assert_eq!(badges(&dom, 0), decisions);

    // A second click reverses; the location sorts by source, then line as a number.
    let dom = clicked_dom(&browser, &page, &["Sort by Location", "Sort by Location"]);
    let location = |r: &Value| {
        let line = r[column("line")].as_i64().unwrap();
        (0, format!("{}:{line:012}", text(r, "source")))
    };
    let expected: Vec<String> = sorted(&location, true)
        .iter()
        .map(|&i| format!("{}:{}", text(&rows[i], "source"), rows[i][column("line")]))
        .collect();
    assert_eq!(cells(&dom, "loc"), expected);
    assert!(dom.contains("aria-sort=\"descending\""));
}
