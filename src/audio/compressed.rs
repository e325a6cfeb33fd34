//! Compressed recordings → interleaved samples at the file's rate, through symphonia (pure
//! Rust, MPL-2.0): FLAC (lossless: the samples soundfile reads, bit for bit), MP3 and Ogg
//! Vorbis with the encoder's delay and padding trimmed (from the LAME/Info tag, the Ogg granule
//! positions), and AAC in MP4/M4A trimmed by the file's edit list, which symphonia parses but
//! does not apply (see [`audio_edit`]). Opus, which no maintained pure-Rust decoder reads, is
//! refused with the ffmpeg command that converts it.
//!
//! Nothing is read silently wrong: a frame that fails to decode, or a gap in the stream's
//! timestamps (symphonia drops FLAC frames that fail their checksum), refuses the file as
//! corrupt; a file that ends early (a half-finished copy) is read as far as it goes, with a
//! warning.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use super::AudioError;

/// What a compressed file decoded to.
pub(crate) struct Samples {
    pub sample_rate: u32,
    pub channels: u16,
    /// Interleaved.
    pub interleaved: Vec<f32>,
    pub warnings: Vec<String>,
    /// The container and codec, e.g. "FLAC", "AAC in MP4".
    pub format: String,
}

/// The ffmpeg command that makes a WAV of `path`.
fn ffmpeg_hint(path: &Path) -> String {
    format!(
        "convert it to WAV: `ffmpeg -i \"{}\" -ac 1 out.wav`",
        path.display()
    )
}

fn corrupt(path: &Path, reason: impl Into<String>) -> AudioError {
    AudioError::Corrupt {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// A compressed file opened at its default audio track.
struct Opened {
    reader: Box<dyn symphonia::core::formats::FormatReader>,
    track_id: u32,
    /// Frames as the container declares them.
    frames: Option<u64>,
    params: symphonia::core::codecs::audio::AudioCodecParameters,
}

/// Open a compressed file's default audio track.
fn open(path: &Path) -> Result<Opened, AudioError> {
    let file = File::open(path).map_err(|source| AudioError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| AudioError::NotAudio {
            path: path.to_owned(),
            reason: match e {
                SymError::Unsupported(_) => "its format is not one this tool reads".to_string(),
                SymError::IoError(e) => format!("it ends before its header does ({e})"),
                e => e.to_string(),
            },
        })?;
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| AudioError::NotAudio {
            path: path.to_owned(),
            reason: "it holds no audio track".into(),
        })?;
    let (track_id, frames) = (track.id, track.num_frames);
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::NotAudio {
            path: path.to_owned(),
            reason: "its audio track has no codec parameters".into(),
        })?
        .clone();
    Ok(Opened {
        reader,
        track_id,
        frames,
        params,
    })
}

/// (frames, rate) as the container declares them, without decoding (None when it does not).
pub(crate) fn length(path: &Path) -> Result<Option<(u64, u32)>, AudioError> {
    let o = open(path)?;
    Ok(o.frames.zip(o.params.sample_rate))
}

/// Decode a whole compressed file.
pub(crate) fn decode(path: &Path) -> Result<Samples, AudioError> {
    let Opened {
        mut reader,
        track_id,
        frames: total_frames,
        params,
    } = open(path)?;
    let codec = symphonia::default::get_codecs()
        .get_audio_decoder(params.codec)
        .map(|d| d.codec.info.short_name.to_uppercase());
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|_| AudioError::Unsupported {
            path: path.to_owned(),
            format: format!(
                "{} audio (probably Opus, which no pure-Rust decoder here reads)",
                reader.format_info().short_name
            ),
            hint: ffmpeg_hint(path),
        })?;
    let container = reader.format_info().short_name.to_string();
    let format = match codec {
        Some(c) if !container.eq_ignore_ascii_case(&c) => format!("{c} in {container}"),
        Some(c) => c,
        None => container.clone(),
    };

    let mut rate = params.sample_rate.unwrap_or(0);
    let mut channels = params.channels.as_ref().map_or(0, |c| c.count());
    let mut interleaved: Vec<f32> = Vec::new();
    let mut warnings = Vec::new();
    let mut next_pts: Option<i64> = None;
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                warnings.push(format!(
                    "{} ends early: the {format} stream stops after {:.3} s{}; that much is read. Copy or download it again if that is not the whole recording.",
                    path.display(),
                    interleaved.len() as f64 / (channels.max(1) as f64 * rate.max(1) as f64),
                    total_frames
                        .map(|n| format!(" of {:.3} s", n as f64 / rate.max(1) as f64))
                        .unwrap_or_default()
                ));
                break;
            }
            Err(e) => {
                return Err(corrupt(
                    path,
                    format!("its {format} stream cannot be read: {e}"),
                ))
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        let pts = packet.pts.get();
        if let Some(expected) = next_pts {
            if pts != expected {
                return Err(corrupt(
                    path,
                    format!(
                        "frames are missing from its {format} stream (timestamp {pts} where {expected} was next: a frame failed its checksum)"
                    ),
                ));
            }
        }
        let buf = decoder.decode(&packet).map_err(|e| {
            corrupt(
                path,
                format!(
                    "a {format} frame at {:.3} s fails to decode: {e}",
                    pts as f64 / rate.max(1) as f64
                ),
            )
        })?;
        let trimmed = packet.trim_start.get() as i64 + packet.trim_end.get() as i64;
        next_pts = Some(pts + buf.frames() as i64 + trimmed);
        if buf.frames() == 0 {
            continue;
        }
        rate = buf.spec().rate();
        channels = buf.spec().channels().count();
        let start = interleaved.len();
        interleaved.resize(start + buf.samples_interleaved(), 0.0);
        buf.copy_to_slice_interleaved(&mut interleaved[start..]);
    }
    if channels == 0 || rate == 0 {
        return Err(corrupt(
            path,
            format!("its {format} stream declares no channels or no rate"),
        ));
    }
    let channels = u16::try_from(channels)
        .map_err(|_| corrupt(path, format!("it declares {channels} channels")))?;
    // AAC in MP4: the edit list says which decoded frames are the recording.
    if let Some(edit) = audio_edit(path)? {
        let ch = channels as usize;
        let frames = interleaved.len() / ch;
        let skip = (edit.skip(rate) as usize).min(frames);
        let keep = total_frames
            .map(|n| (n as usize).saturating_sub(skip))
            .unwrap_or(frames - skip)
            .min(frames - skip);
        interleaved = interleaved[skip * ch..(skip + keep) * ch].to_vec();
    }
    Ok(Samples {
        sample_rate: rate,
        channels,
        interleaved,
        warnings,
        format,
    })
}

/// An MP4 audio track's first edit: where the recording starts in the decoded stream
/// (`media_time`, in the track's own timescale). ffmpeg's AAC encoder writes 1,024 frames of
/// priming there, Apple's 2,112.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AudioEdit {
    pub media_timescale: u32,
    pub media_time: u64,
}

impl AudioEdit {
    /// Frames to skip at `rate` (rounded as ffmpeg rescales).
    fn skip(&self, rate: u32) -> u64 {
        if self.media_timescale == 0 {
            return self.media_time;
        }
        ((self.media_time as u128 * rate as u128 + self.media_timescale as u128 / 2)
            / self.media_timescale as u128) as u64
    }
}

/// The `moov` box may not be larger than this (it holds sample tables, not audio).
const MAX_MOOV: u64 = 64 << 20;

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// The child boxes of `buf`: (type, body). Stops at the first box that does not fit.
fn boxes(buf: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut off = 0usize;
    std::iter::from_fn(move || {
        let head = buf.get(off..off + 8)?;
        let (mut size, mut hdr) = (be32(head) as u64, 8u64);
        if size == 1 {
            size = be64(buf.get(off + 8..off + 16)?);
            hdr = 16;
        } else if size == 0 {
            size = (buf.len() - off) as u64;
        }
        if size < hdr || size > (buf.len() - off) as u64 {
            return None;
        }
        let body = &buf[off + hdr as usize..off + size as usize];
        let typ = &head[4..8];
        off += size as usize;
        Some((typ, body))
    })
}

fn child<'a>(buf: &'a [u8], t: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(buf).find(|(typ, _)| typ == t).map(|(_, b)| b)
}

/// The media timescale of an `mdhd` body (version 0 or 1).
fn timescale(mdhd: &[u8]) -> Option<u32> {
    let at = if *mdhd.first()? == 1 { 20 } else { 12 };
    mdhd.get(at..at + 4).map(be32)
}

/// The first audio track's first non-empty edit, for an MP4 file (None for other files, or
/// an MP4 without an edit list).
pub(crate) fn audio_edit(path: &Path) -> Result<Option<AudioEdit>, AudioError> {
    let io = |source| AudioError::Io {
        path: path.to_owned(),
        source,
    };
    let mut f = File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut pos = 0u64;
    let moov = loop {
        if pos + 8 > len {
            return Ok(None);
        }
        f.seek(SeekFrom::Start(pos)).map_err(io)?;
        let mut h = [0u8; 16];
        f.read_exact(&mut h[..8]).map_err(io)?;
        if pos == 0 && &h[4..8] != b"ftyp" {
            return Ok(None);
        }
        let (mut size, mut hdr) = (be32(&h) as u64, 8u64);
        if size == 1 {
            f.read_exact(&mut h[8..16]).map_err(io)?;
            size = be64(&h[8..]);
            hdr = 16;
        } else if size == 0 {
            size = len - pos;
        }
        if size < hdr || size > len - pos {
            return Ok(None);
        }
        if &h[4..8] == b"moov" {
            if size - hdr > MAX_MOOV {
                return Err(corrupt(path, format!("its moov box is {size} bytes")));
            }
            let mut body = vec![0u8; (size - hdr) as usize];
            f.read_exact(&mut body).map_err(io)?;
            break body;
        }
        pos += size;
    };
    for (typ, trak) in boxes(&moov) {
        if typ != b"trak" {
            continue;
        }
        let Some(mdia) = child(trak, b"mdia") else {
            continue;
        };
        if child(mdia, b"hdlr").and_then(|h| h.get(8..12)) != Some(b"soun".as_slice()) {
            continue;
        }
        let media_timescale = child(mdia, b"mdhd").and_then(timescale).unwrap_or(0);
        let Some(elst) = child(trak, b"edts").and_then(|e| child(e, b"elst")) else {
            return Ok(None);
        };
        let (Some(&version), Some(count)) = (elst.first(), elst.get(4..8).map(be32)) else {
            return Ok(None);
        };
        let size = if version == 1 { 20 } else { 12 };
        for i in 0..count as usize {
            let Some(e) = elst.get(8 + i * size..8 + (i + 1) * size) else {
                break;
            };
            let media_time = if version == 1 {
                be64(&e[8..16]) as i64
            } else {
                be32(&e[4..8]) as i32 as i64
            };
            if media_time < 0 {
                continue; // an empty edit: a delay before the track, nothing to trim
            }
            return Ok(Some(AudioEdit {
                media_timescale,
                media_time: media_time as u64,
            }));
        }
        return Ok(None);
    }
    Ok(None)
}
