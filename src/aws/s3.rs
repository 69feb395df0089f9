//! S3 through the AWS SDK for Rust: the objects under a prefix (`ListObjectsV2`, every page, in
//! key order), their bodies fetched a bounded number at a time ahead of the reader, and result
//! objects written and read. `s3://bucket/prefix` inputs, the Step Functions shard handler and
//! `merge` are built on it.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::primitives::ByteStream;
use tokio::sync::{Semaphore, mpsc};

use super::error::{ApiError, ApiErrorKind};
use crate::input::{AwsSettings, InputSource, KeyDates, OpenObject, S3Object, S3Uri};

/// Objects fetched at once, ahead of the one being read: enough to hide the latency of a
/// `GetObject` behind the evaluation of the objects before it, few enough that memory stays
/// flat (each holds at most [`CHUNKS_AHEAD`] chunks of its body).
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Chunks of one body buffered ahead of its reader.
pub(super) const CHUNKS_AHEAD: usize = 16;

/// S3 through the SDK. Building it makes no call; a configuration that cannot work (no region)
/// is kept and returned by every call.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    region: String,
    broken: Option<ApiError>,
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
}

impl S3Store {
    /// A client from the standard settings (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`, the profile
    /// files, the credential chain) with `settings` over them. Against an endpoint of one's own
    /// (a local S3 such as moto or MinIO) buckets are addressed by path, since their names do
    /// not resolve as host names there.
    pub async fn from_settings(settings: &AwsSettings) -> Self {
        let config = super::client::load_config(settings).await;
        let region = config.region().map(|region| region.as_ref().to_owned());
        let own_endpoint = config.endpoint_url().is_some()
            || ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
                .iter()
                .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
        // Attempts are bounded so that a hanging endpoint cannot use up an invocation, but
        // longer than the API calls' elsewhere: bodies are streamed after the operation
        // returns, and a listing page or an upload can take seconds.
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_secs(90))
            .build();
        let retries = RetryConfig::standard()
            .with_max_attempts(5)
            .with_initial_backoff(Duration::from_millis(200))
            .with_max_backoff(Duration::from_secs(5));
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .timeout_config(timeouts)
            .retry_config(retries)
            .force_path_style(own_endpoint)
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(s3_config),
            broken: region
                .is_none()
                .then(|| ApiError::no_region(settings.profile.as_deref())),
            region: region.unwrap_or_default(),
        }
    }

    fn check(&self) -> Result<(), ApiError> {
        match &self.broken {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// Every object under `uri`'s prefix, in key order (`ListObjectsV2`, every page), keeping
    /// those whose key `dates` admits. Held whole: for result objects, which a merge reads
    /// all of; inputs are listed page by page as they are read ([`super::prefix_inputs`]).
    pub async fn list(&self, uri: &S3Uri, dates: &KeyDates) -> Result<Vec<ListedObject>, ApiError> {
        let (pages_tx, mut pages_rx) = mpsc::channel(1);
        // The receiver is moved in, so that an error drops it and ends the listing.
        let collect = async move {
            let mut objects = Vec::new();
            while let Some(page) = pages_rx.recv().await {
                objects.extend(page?);
            }
            Ok(objects)
        };
        tokio::join!(self.send_pages(uri, dates, pages_tx), collect).1
    }

    /// The pages of the listing of `uri`'s prefix, in key order, each cut to the objects
    /// `dates` admits, sent to `pages` as `ListObjectsV2` gives them. A page that cannot be
    /// listed is sent as the error, and ends the listing; so does a receiver that is gone.
    /// Folder markers (keys ending in `/`, of no bytes) are not objects to read.
    pub(super) async fn send_pages(
        &self,
        uri: &S3Uri,
        dates: &KeyDates,
        pages: mpsc::Sender<Result<Vec<ListedObject>, ApiError>>,
    ) {
        if let Err(error) = self.check() {
            let _ = pages.send(Err(error)).await;
            return;
        }
        let mut paginator = self
            .client
            .list_objects_v2()
            .bucket(&uri.bucket)
            .prefix(&uri.key)
            .into_paginator()
            .send();
        while let Some(page) = paginator.next().await {
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    let error = ApiError::from_sdk("s3:ListObjectsV2", &self.region, &error);
                    let _ = pages.send(Err(error)).await;
                    return;
                }
            };
            let objects = page
                .contents()
                .iter()
                .filter_map(|object| {
                    let key = object.key()?;
                    let size = object.size().unwrap_or(0).max(0).unsigned_abs();
                    let marker = key.ends_with('/') && size == 0;
                    (!marker && dates.admits(key)).then(|| ListedObject {
                        key: key.to_owned(),
                        size,
                    })
                })
                .collect();
            if pages.send(Ok(objects)).await.is_err() {
                return;
            }
        }
    }

    /// Writes `body` to `uri`.
    pub async fn put(
        &self,
        uri: &S3Uri,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ApiError> {
        self.check()?;
        self.client
            .put_object()
            .bucket(&uri.bucket)
            .key(&uri.key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| ApiError::from_sdk("s3:PutObject", &self.region, &error))
    }

    /// Sends the body of `uri`, chunk by chunk, to `chunks`; the first message is the error
    /// when the object cannot be fetched.
    pub(super) async fn stream(&self, uri: &S3Uri, chunks: mpsc::Sender<Result<Vec<u8>, String>>) {
        if let Err(error) = self.check() {
            let _ = chunks.send(Err(error.message)).await;
            return;
        }
        let answer = self
            .client
            .get_object()
            .bucket(&uri.bucket)
            .key(&uri.key)
            .send()
            .await;
        let mut body = match answer {
            Ok(output) => output.body,
            Err(error) => {
                let error = ApiError::from_sdk("s3:GetObject", &self.region, &error);
                let _ = chunks.send(Err(error.message)).await;
                return;
            }
        };
        loop {
            let chunk = match body.try_next().await {
                Ok(Some(bytes)) => Ok(bytes.to_vec()),
                Ok(None) => return,
                Err(error) => Err(format!("the body of {uri} failed part way: {error}")),
            };
            let failed = chunk.is_err();
            if chunks.send(chunk).await.is_err() || failed {
                return;
            }
        }
    }
}

/// Runs `work` on a runtime of its own, on this thread: for callers that are not async.
pub(super) fn block_on<T>(work: impl Future<Output = T>) -> io::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(work))
}

/// The inputs `uri` names: one per object under it that `dates` admits, in key order, read
/// `concurrency` at a time ahead of the reader. A listing that fails is one input, named by
/// `uri`, whose reading gives the error. The listing is held whole, which suits result objects
/// (a merge holds them all anyway); [`super::prefix_inputs`] lists inputs as they are read.
pub fn list_inputs(
    uri: &S3Uri,
    settings: &AwsSettings,
    dates: &KeyDates,
    concurrency: usize,
) -> Vec<InputSource> {
    let listed = block_on(async {
        let store = S3Store::from_settings(settings).await;
        store.list(uri, dates).await
    });
    let keys = match listed {
        Ok(Ok(objects)) => objects.into_iter().map(|object| object.key).collect(),
        Ok(Err(error)) => {
            let message = format!("cannot list {uri}: {error}");
            return vec![InputSource::S3(S3Object::unlisted(uri, message))];
        }
        Err(error) => {
            let message = format!("cannot list {uri}: cannot start the async runtime: {error}");
            return vec![InputSource::S3(S3Object::unlisted(uri, message))];
        }
    };
    object_inputs(&uri.bucket, keys, settings, concurrency)
}

/// Inputs for the objects `keys` of `bucket`, in that order, read `concurrency` at a time
/// ahead of the reader. Nothing is fetched until the first is opened.
pub fn object_inputs(
    bucket: &str,
    keys: Vec<String>,
    settings: &AwsSettings,
    concurrency: usize,
) -> Vec<InputSource> {
    let base = S3Uri {
        bucket: bucket.to_owned(),
        key: String::new(),
    };
    let uris: Vec<S3Uri> = keys.iter().map(|key| base.object(key)).collect();
    let fetcher: Arc<dyn OpenObject> = Arc::new(Fetcher {
        state: Mutex::new(FetchState::Idle {
            uris,
            settings: settings.clone(),
            concurrency: concurrency.max(1),
        }),
    });
    keys.into_iter()
        .enumerate()
        .map(|(index, key)| {
            InputSource::S3(S3Object {
                uri: Arc::from(base.object(&key).to_string()),
                key,
                index,
                opener: Arc::clone(&fetcher),
            })
        })
        .collect()
}

pub(super) type Chunks = mpsc::Receiver<Result<Vec<u8>, String>>;

/// Fetches the objects of one listing in order, a bounded number at once, on a thread of its
/// own, started when the first object is opened.
#[derive(Debug)]
struct Fetcher {
    state: Mutex<FetchState>,
}

#[derive(Debug)]
enum FetchState {
    Idle {
        uris: Vec<S3Uri>,
        settings: AwsSettings,
        concurrency: usize,
    },
    /// The bodies, in listing order, each with its place.
    Running(mpsc::Receiver<(usize, Chunks)>),
    Failed(String),
}

impl OpenObject for Fetcher {
    fn open(&self, object: &S3Object) -> io::Result<Box<dyn Read + Send>> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| io::Error::other("the S3 reader failed"))?;
        if let FetchState::Idle {
            uris,
            settings,
            concurrency,
        } = &mut *state
        {
            let uris = std::mem::take(uris);
            let (settings, concurrency) = (settings.clone(), *concurrency);
            *state = match start_fetching(uris, settings, concurrency) {
                Ok(bodies) => FetchState::Running(bodies),
                Err(error) => FetchState::Failed(format!("cannot start the S3 reader: {error}")),
            };
        }
        let bodies = match &mut *state {
            FetchState::Running(bodies) => bodies,
            FetchState::Failed(message) => return Err(io::Error::other(message.clone())),
            FetchState::Idle { .. } => return Err(io::Error::other("the S3 reader did not start")),
        };
        // Objects are opened in listing order; one passed over is dropped, which stops its fetch.
        let chunks = loop {
            match bodies.blocking_recv() {
                Some((index, chunks)) if index == object.index => break chunks,
                Some((index, _)) if index < object.index => continue,
                _ => {
                    return Err(io::Error::other(format!(
                        "{} was opened out of the order of its listing",
                        object.uri
                    )));
                }
            }
        };
        body(chunks)
    }
}

/// Starts the thread that fetches `uris` in order, `concurrency` at once.
fn start_fetching(
    uris: Vec<S3Uri>,
    settings: AwsSettings,
    concurrency: usize,
) -> io::Result<mpsc::Receiver<(usize, Chunks)>> {
    let (bodies_tx, bodies_rx) = mpsc::channel(concurrency);
    std::thread::Builder::new()
        .name("s3-get".to_owned())
        .spawn(move || {
            let _ = block_on(async move {
                let store = Arc::new(S3Store::from_settings(&settings).await);
                let permits = Arc::new(Semaphore::new(concurrency));
                for (index, uri) in uris.into_iter().enumerate() {
                    let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                        return;
                    };
                    let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS_AHEAD);
                    if bodies_tx.send((index, chunks_rx)).await.is_err() {
                        return;
                    }
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        store.stream(&uri, chunks_tx).await;
                        drop(permit);
                    });
                }
                // Every fetch is spawned; wait for the last ones before the runtime ends.
                let _ = permits.acquire_many(concurrency_u32(concurrency)).await;
            });
        })?;
    Ok(bodies_rx)
}

pub(super) fn concurrency_u32(concurrency: usize) -> u32 {
    u32::try_from(concurrency).unwrap_or(u32::MAX)
}

/// The body whose chunks `chunks` receives, as a reader. The first message tells whether the
/// object could be fetched at all: an error there is one of the whole object, before any record.
pub(super) fn body(mut chunks: Chunks) -> io::Result<Box<dyn Read + Send>> {
    let first = match chunks.blocking_recv() {
        Some(Ok(chunk)) => chunk,
        Some(Err(message)) => return Err(io::Error::other(message)),
        None => Vec::new(),
    };
    Ok(Box::new(Body {
        current: io::Cursor::new(first),
        chunks,
    }))
}

/// One object's body as a stream of bytes.
struct Body {
    current: io::Cursor<Vec<u8>>,
    chunks: Chunks,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = io::Cursor::new(chunk),
                Some(Err(message)) => return Err(io::Error::other(message)),
                None => return Ok(0),
            }
        }
    }
}

/// Reads the whole of `uri` (a result object): small enough to hold.
pub async fn get_bytes(store: &S3Store, uri: &S3Uri) -> Result<Vec<u8>, ApiError> {
    store.check()?;
    let output = store
        .client
        .get_object()
        .bucket(&uri.bucket)
        .key(&uri.key)
        .send()
        .await
        .map_err(|error| ApiError::from_sdk("s3:GetObject", &store.region, &error))?;
    let bytes = output.body.collect().await.map_err(|error| {
        ApiError::new(
            ApiErrorKind::Network,
            format!("the body of {uri} failed part way: {error}"),
        )
    })?;
    Ok(bytes.into_bytes().to_vec())
}

/// Writes `body` to `uri`, for callers that are not async.
pub fn put_object(uri: &S3Uri, body: Vec<u8>, settings: &AwsSettings) -> Result<(), String> {
    block_on(async {
        let store = S3Store::from_settings(settings).await;
        store.put(uri, body, "application/octet-stream").await
    })
    .map_err(|error| format!("cannot start the async runtime: {error}"))?
    .map_err(|error| error.message)
}
