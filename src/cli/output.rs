//! Standard output as a pipe: a larger pipe buffer, filled a block at a time.

#[cfg(target_os = "linux")]
use std::os::fd::AsFd;

/// What a report is written in blocks of where standard output is not a pipe.
const BLOCK: usize = 64 * 1024;

/// What a pipe's buffer is widened to: Linux's default ceiling for unprivileged processes
/// (`/proc/sys/fs/pipe-max-size`).
#[cfg(target_os = "linux")]
const PIPE_BLOCK: usize = 1024 * 1024;

/// Widens the buffer of `out` where it is a pipe, and returns how large the blocks written to
/// it should be.
///
/// A pipe holds 64 KiB by default: a report of hundreds of megabytes read by another process
/// (`| jq`, a harness reading the lines) then costs a system call and a wake-up of the reader
/// every 64 KiB. With a 1 MiB buffer written a megabyte at a time, both sides make a sixteenth
/// of them (1,000,000 violation-dense records into `cat`: 0.16 s of system time, was 0.18 to
/// 0.20 s).
#[cfg(target_os = "linux")]
pub(super) fn widen_pipe(out: impl AsFd) -> usize {
    // Fails on anything that is not a pipe (a file, /dev/null), which keeps its blocks.
    match rustix::pipe::fcntl_setpipe_size(out, PIPE_BLOCK) {
        Ok(size) => size.clamp(BLOCK, PIPE_BLOCK),
        Err(_) => BLOCK,
    }
}

/// Elsewhere pipes keep their size.
#[cfg(not(target_os = "linux"))]
pub(super) fn widen_pipe<T>(_out: T) -> usize {
    BLOCK
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_is_widened_and_written_in_larger_blocks_a_file_is_not() {
        let (_reader, writer) = std::io::pipe().unwrap();
        let ceiling: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(BLOCK);
        let block = widen_pipe(&writer);
        assert_eq!(block, ceiling.clamp(BLOCK, PIPE_BLOCK));
        assert_eq!(
            rustix::pipe::fcntl_getpipe_size(&writer).unwrap(),
            block.max(BLOCK)
        );
        let path = std::env::temp_dir().join(format!("ssm-guard-output-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        assert_eq!(widen_pipe(&file), BLOCK);
        drop(file);
        std::fs::remove_file(path).unwrap();
    }
}
