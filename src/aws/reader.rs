//! An `ssm:` input as a byte stream: a thread calls `DescribeSessions` page by page and hands
//! each page over as the JSON the API returned (`{"Sessions": [...]}`), which the record
//! reader takes like pages saved to a file, one after another. The first page is awaited when
//! the input is opened, so that a call that cannot work (no credentials, access denied, no such
//! region) is an error of the input as a whole, with the API's reason.

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::mpsc::{self, Receiver};

use serde_json::json;

use super::api::Pages;
use super::client::SsmApi;
use crate::input::SessionQuery;

/// Pages read ahead of the record reader: enough to overlap a call with the evaluation of the
/// page before, few enough that memory stays flat.
const PAGES_AHEAD: usize = 2;

type PageBytes = Result<Vec<u8>, String>;

/// Opens `query` for reading: its sessions, page by page, as the API's JSON.
pub fn open_sessions(query: &SessionQuery) -> io::Result<Box<dyn BufRead + Send>> {
    let (sender, receiver) = mpsc::sync_channel::<PageBytes>(PAGES_AHEAD);
    let query = query.clone();
    std::thread::Builder::new()
        .name("describe-sessions".to_owned())
        .spawn(move || read_pages(&query, &sender))?;
    let first = receiver
        .recv()
        .map_err(|_| io::Error::other("the DescribeSessions reader stopped before any page"))?
        .map_err(io::Error::other)?;
    Ok(Box::new(BufReader::new(PageReader {
        current: Cursor::new(first),
        pages: receiver,
    })))
}

/// Calls `DescribeSessions` for every page of `query` and sends each page's bytes, or the error
/// that ends the listing. Stops as soon as nobody reads any more.
fn read_pages(query: &SessionQuery, sender: &mpsc::SyncSender<PageBytes>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = sender.send(Err(format!("cannot start the async runtime: {error}")));
            return;
        }
    };
    runtime.block_on(async {
        let api = SsmApi::from_settings(&query.settings).await;
        let mut pages = Pages::new(query.state, &query.filters);
        while let Some(page) = pages.next(&api).await {
            let bytes = page.map_err(|error| error.message).and_then(|page| {
                let mut bytes = serde_json::to_vec(&json!({"Sessions": page.sessions}))
                    .map_err(|error| format!("cannot write a page: {error}"))?;
                bytes.push(b'\n');
                Ok(bytes)
            });
            if sender.send(bytes).is_err() {
                return;
            }
        }
    });
}

/// The pages as one stream of bytes.
struct PageReader {
    current: Cursor<Vec<u8>>,
    pages: Receiver<PageBytes>,
}

impl Read for PageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            match self.pages.recv() {
                Ok(Ok(page)) => self.current = Cursor::new(page),
                Ok(Err(error)) => return Err(io::Error::other(error)),
                // The listing ended: every page was sent.
                Err(_) => return Ok(0),
            }
        }
    }
}
