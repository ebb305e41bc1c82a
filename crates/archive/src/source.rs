//! Any archive, read as one stream of messages: an mbox file, a Takeout `.zip` or `.tgz`
//! (read member by member, never unpacked to disk), a Maildir tree, a folder of `.eml` files.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, FixedOffset, TimeZone};

use crate::mbox::{Dialect, MboxReader, Problem, from_line_date};
use crate::{ArchiveError, gmail, maildir};

/// What kind of archive a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mbox,
    Zip,
    Tgz,
    Maildir,
    /// A directory of `.eml` files (and `.mbox` files), sub-directories as folders.
    EmlDir,
}

/// Where a message wants to go, as the archive tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Gmail labels (Takeout); an empty list means none.
    Labels(Vec<String>),
    /// A folder name, levels joined with `/` (`INBOX` for the inbox).
    Folder(String),
}

/// One message of an archive.
#[derive(Debug, Clone)]
pub struct Item {
    /// The file it comes from: an mbox path, a member of a zip/tar, a Maildir folder.
    pub entry: String,
    /// Its identity inside the entry (mbox byte offset, Maildir unique name, `.eml` name).
    pub key: String,
    /// Byte offset of the message in an mbox entry, and just past it (0 elsewhere).
    pub offset: u64,
    pub end: u64,
    pub origin: Origin,
    pub flags: Vec<String>,
    /// The received date (mbox `From ` line, file time, or Date header).
    pub date: Option<DateTime<FixedOffset>>,
    pub body: Vec<u8>,
    pub problem: Option<Problem>,
    /// Bytes of the archive read so far (for progress).
    pub archive_read: u64,
}

/// What the reader asks of its consumer.
pub trait Sink {
    /// An entry starts. Returns where to start reading it: a byte offset reached by an earlier
    /// run (mbox entries), or `None` to skip it whole (done earlier); `Some(0)` reads it all.
    fn entry(&mut self, _entry: &str, _fingerprint: u32) -> Option<u64> {
        Some(0)
    }
    /// A message. `false` stops the reading.
    fn item(&mut self, item: Item) -> bool;
}

/// How to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    pub dialect: Dialect,
}

/// An archive on disk.
#[derive(Debug, Clone)]
pub struct Archive {
    pub path: PathBuf,
    pub kind: Kind,
    /// Bytes to read in all (file size, or sum of the files of a directory).
    pub size: u64,
}

impl Archive {
    /// Looks at a path and tells what it holds.
    pub fn open(path: &Path) -> Result<Archive, ArchiveError> {
        let err = |e| ArchiveError::Io { path: path.to_path_buf(), error: e };
        let meta = std::fs::metadata(path).map_err(err)?;
        if meta.is_dir() {
            let kind = if maildir::is_maildir_tree(path) { Kind::Maildir } else { Kind::EmlDir };
            return Ok(Archive { path: path.to_path_buf(), kind, size: dir_size(path) });
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
        let mut head = [0u8; 5];
        let n = File::open(path).and_then(|mut f| f.read(&mut head)).map_err(err)?;
        let kind = if head[..n].starts_with(b"PK\x03\x04") || name.ends_with(".zip") {
            Kind::Zip
        } else if head[..n].starts_with(&[0x1f, 0x8b]) || name.ends_with(".tgz") || name.ends_with(".tar.gz")
        {
            Kind::Tgz
        } else if head[..n] == *b"From " || name.ends_with(".mbox") || name.ends_with(".mbx") {
            Kind::Mbox
        } else {
            return Err(ArchiveError::Unknown { path: path.to_path_buf() });
        };
        Ok(Archive { path: path.to_path_buf(), kind, size: meta.len() })
    }

    /// Reads every message, handing each to `sink`.
    pub fn read(&self, options: ReadOptions, sink: &mut dyn Sink) -> Result<(), ArchiveError> {
        let err = |e| ArchiveError::Io { path: self.path.clone(), error: e };
        let counter = Arc::new(AtomicU64::new(0));
        match self.kind {
            Kind::Mbox => {
                read_mbox_file(&self.path, &file_name(&self.path), options, &counter, sink).map_err(err)?;
            }
            Kind::Zip => self.read_zip(options, &counter, sink)?,
            Kind::Tgz => self.read_tgz(options, &counter, sink)?,
            Kind::Maildir => self.read_maildir(&counter, sink)?,
            Kind::EmlDir => self.read_eml_dir(options, &counter, sink)?,
        }
        Ok(())
    }

    fn read_zip(
        &self,
        options: ReadOptions,
        counter: &Arc<AtomicU64>,
        sink: &mut dyn Sink,
    ) -> Result<(), ArchiveError> {
        let err = |e| ArchiveError::Io { path: self.path.clone(), error: e };
        let zip_err =
            |e: zip::result::ZipError| ArchiveError::Zip { path: self.path.clone(), error: e.to_string() };
        let file = Counting::new(File::open(&self.path).map_err(err)?, counter.clone());
        let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(zip_err)?;
        for i in 0..zip.len() {
            let member = zip.by_index(i).map_err(zip_err)?;
            let name = member.name().map_err(zip_err)?.to_string();
            if member.is_dir() || !is_mbox_name(&name) {
                continue;
            }
            let fingerprint = member.crc32() ^ (member.size() as u32);
            if !read_member(&name, fingerprint, member, options, counter, sink).map_err(err)? {
                return Ok(());
            }
        }
        Ok(())
    }

    fn read_tgz(
        &self,
        options: ReadOptions,
        counter: &Arc<AtomicU64>,
        sink: &mut dyn Sink,
    ) -> Result<(), ArchiveError> {
        let err = |e| ArchiveError::Io { path: self.path.clone(), error: e };
        let file = Counting::new(File::open(&self.path).map_err(err)?, counter.clone());
        let mut tar = tar::Archive::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)));
        for member in tar.entries().map_err(err)? {
            let member = member.map_err(err)?;
            let name = member.path().map_err(err)?.to_string_lossy().into_owned();
            if !member.header().entry_type().is_file() || !is_mbox_name(&name) {
                continue;
            }
            let mut h = crc32fast::Hasher::new();
            h.update(name.as_bytes());
            h.update(&member.header().size().unwrap_or(0).to_le_bytes());
            h.update(&member.header().mtime().unwrap_or(0).to_le_bytes());
            if !read_member(&name, h.finalize(), member, options, counter, sink).map_err(err)? {
                return Ok(());
            }
        }
        Ok(())
    }

    fn read_maildir(&self, counter: &Arc<AtomicU64>, sink: &mut dyn Sink) -> Result<(), ArchiveError> {
        let err = |e| ArchiveError::Io { path: self.path.clone(), error: e };
        for folder in maildir::folders(&self.path).map_err(err)? {
            let entry = format!("maildir:{}", folder.name);
            if sink.entry(&entry, 0).is_none() {
                continue;
            }
            for m in maildir::messages(&folder.path).map_err(err)? {
                let body = std::fs::read(&m.path).map_err(err)?;
                let read = counter.fetch_add(body.len() as u64, Ordering::Relaxed) + body.len() as u64;
                let date = m.modified.and_then(system_time_date);
                let item = Item {
                    entry: entry.clone(),
                    key: m.unique,
                    offset: 0,
                    end: 0,
                    origin: Origin::Folder(folder.name.clone()),
                    flags: m.flags,
                    date: date.or_else(|| crate::headers::date(&body)),
                    body,
                    problem: None,
                    archive_read: read,
                };
                if !sink.item(item) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn read_eml_dir(
        &self,
        options: ReadOptions,
        counter: &Arc<AtomicU64>,
        sink: &mut dyn Sink,
    ) -> Result<(), ArchiveError> {
        let err = |e| ArchiveError::Io { path: self.path.clone(), error: e };
        let mut dirs = vec![(self.path.clone(), Vec::<String>::new())];
        while let Some((dir, levels)) = dirs.pop() {
            let mut entries: Vec<_> =
                std::fs::read_dir(&dir).map_err(err)?.flatten().map(|e| e.path()).collect();
            entries.sort();
            let folder = if levels.is_empty() { "INBOX".to_string() } else { levels.join("/") };
            let entry = format!("eml:{folder}");
            let mut started = false;
            for path in entries {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                if path.is_dir() {
                    let mut sub = levels.clone();
                    sub.push(name);
                    dirs.push((path, sub));
                    continue;
                }
                let lower = name.to_ascii_lowercase();
                if is_mbox_name(&lower) {
                    let mut entry = levels.clone();
                    entry.push(name);
                    let read = read_mbox_file(&path, &entry.join("/"), options, counter, sink);
                    if !read.map_err(|e| ArchiveError::Io { path: path.clone(), error: e })? {
                        return Ok(());
                    }
                    continue;
                }
                if !lower.ends_with(".eml") {
                    continue;
                }
                if !started {
                    started = true;
                    if sink.entry(&entry, 0).is_none() {
                        break;
                    }
                }
                let body = std::fs::read(&path).map_err(err)?;
                let read = counter.fetch_add(body.len() as u64, Ordering::Relaxed) + body.len() as u64;
                let modified = std::fs::metadata(&path).ok().and_then(|m| m.modified().ok());
                let item = Item {
                    entry: entry.clone(),
                    key: name,
                    offset: 0,
                    end: 0,
                    origin: Origin::Folder(folder.clone()),
                    flags: vec!["\\Seen".into()],
                    date: crate::headers::date(&body).or_else(|| modified.and_then(system_time_date)),
                    body,
                    problem: None,
                    archive_read: read,
                };
                if !sink.item(item) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// Reads one mbox member of a zip or tar stream from where an earlier run stopped (the bytes
/// before are read and dropped: a compressed stream cannot seek); false if the sink asked to stop.
fn read_member(
    name: &str,
    fingerprint: u32,
    member: impl Read,
    options: ReadOptions,
    counter: &Arc<AtomicU64>,
    sink: &mut dyn Sink,
) -> io::Result<bool> {
    let Some(start) = sink.entry(name, fingerprint) else { return Ok(true) };
    let mut reader = BufReader::with_capacity(1 << 16, member);
    io::copy(&mut (&mut reader).take(start), &mut io::sink())?;
    read_mbox(name, is_takeout(name), reader, start, options, counter, sink)
}

/// Reads an mbox file on disk as the entry `entry`, from where an earlier run stopped (a
/// seek, not a re-read); false if the sink asked to stop.
fn read_mbox_file(
    path: &Path,
    entry: &str,
    options: ReadOptions,
    counter: &Arc<AtomicU64>,
    sink: &mut dyn Sink,
) -> io::Result<bool> {
    let mut file = File::open(path)?;
    let fingerprint = head_fingerprint(&mut file)?;
    let Some(start) = sink.entry(entry, fingerprint) else { return Ok(true) };
    file.seek(SeekFrom::Start(start))?;
    counter.fetch_add(start, Ordering::Relaxed);
    let reader = BufReader::with_capacity(1 << 16, Counting::new(file, counter.clone()));
    let takeout = is_takeout(&path.to_string_lossy());
    read_mbox(entry, takeout, reader, start, options, counter, sink)
}

/// Reads the messages of one mbox entry from `start`; false if the sink asked to stop.
fn read_mbox<R: BufRead>(
    entry: &str,
    takeout: bool,
    reader: R,
    start: u64,
    options: ReadOptions,
    counter: &Arc<AtomicU64>,
    sink: &mut dyn Sink,
) -> io::Result<bool> {
    // A plain mbox with no Gmail labels goes to a folder named after the file.
    let stem = Path::new(entry).with_extension("").to_string_lossy().into_owned();
    for message in MboxReader::starting_at(reader, start, options.dialect) {
        let m = message?;
        let headers = crate::headers::Headers::parse(&m.body);
        let origin = match headers.labels {
            Some(labels) => Origin::Labels(gmail::split_labels(&labels)),
            None if takeout => Origin::Labels(Vec::new()),
            None if stem.eq_ignore_ascii_case("inbox") => Origin::Folder("INBOX".into()),
            None => Origin::Folder(stem.clone()),
        };
        let item = Item {
            entry: entry.to_string(),
            key: m.offset.to_string(),
            offset: m.offset,
            end: m.end,
            origin,
            flags: headers.flags,
            date: from_line_date(&m.from_line).or(headers.date),
            body: m.body,
            problem: m.problem,
            archive_read: counter.load(Ordering::Relaxed),
        };
        if !sink.item(item) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether an mbox comes from Google Takeout (then a message without labels has none, rather
/// than belonging to a folder named after the file).
fn is_takeout(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.contains("Takeout") || name.starts_with("All mail") || name.starts_with("Tous les messages")
}

fn is_mbox_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".mbox") || lower.ends_with(".mbx")
}

fn file_name(path: &Path) -> String {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("mbox").to_string()
}

/// A CRC-32 of the first 64 KiB: tells a different file from the one an earlier run read.
fn head_fingerprint(file: &mut File) -> io::Result<u32> {
    let mut head = Vec::with_capacity(1 << 16);
    (&mut *file).take(1 << 16).read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(crc32fast::hash(&head))
}

fn system_time_date(t: std::time::SystemTime) -> Option<DateTime<FixedOffset>> {
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    FixedOffset::east_opt(0)?.timestamp_opt(i64::try_from(secs).ok()?, 0).single()
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Counts the bytes read from the archive file, for progress.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        Counting { inner, count }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}
