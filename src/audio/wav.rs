//! The WAV reader: a RIFF/WAVE header → [`WavInfo`], then any range of frames decoded exactly as
//! libsndfile (and so soundfile and librosa) decodes them.
//!
//! Integer samples are read at their *container* width (`block_align / channels` bytes) and
//! scaled by `2^-(8·width-1)`, as libsndfile does: a WAVE_FORMAT_EXTENSIBLE file with 24 valid
//! bits in 32-bit containers holds its samples left-justified, so reading the container gives
//! the right value. (hound 3.5 reads such a file's low 24 bits instead, cannot read 20-in-24 or
//! 64-bit float, and does not expose the container width; hence this reader.) Everything a
//! header can declare is either decoded or refused as [`AudioError::Unsupported`] with the
//! command that converts it. Lengths in the header are checked against the file before
//! anything is allocated.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::AudioError;

/// How one sample is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 8-bit PCM: unsigned, 128 is silence.
    Unsigned8,
    /// Signed little-endian integer PCM in containers of `bytes` (2, 3 or 4) bytes; the file's
    /// valid bits (if fewer) are the container's most significant ones.
    Int { bytes: u8 },
    /// IEEE float, 4 or 8 bytes.
    Float { bytes: u8 },
}

impl Encoding {
    /// Bytes per sample.
    pub fn width(self) -> usize {
        match self {
            Encoding::Unsigned8 => 1,
            Encoding::Int { bytes } | Encoding::Float { bytes } => bytes as usize,
        }
    }
}

/// What a WAV header declares, checked against the file's length.
#[derive(Debug, Clone, PartialEq)]
pub struct WavInfo {
    pub path: PathBuf,
    pub channels: u16,
    pub sample_rate: u32,
    pub encoding: Encoding,
    /// Bits that carry signal per sample (wValidBitsPerSample, else wBitsPerSample).
    pub valid_bits: u16,
    /// Whole frames in the data chunk (a trailing partial frame is ignored, as libsndfile does).
    pub frames: u64,
    data_offset: u64,
}

/// The convert-it hint every refusal carries.
fn convert_hint(path: &Path) -> String {
    format!(
        "convert it to 16-bit PCM: `sox \"{0}\" -b 16 -e signed-integer out.wav` or `ffmpeg -i \"{0}\" -c:a pcm_s16le out.wav`",
        path.display()
    )
}

fn unsupported(path: &Path, format: impl Into<String>) -> AudioError {
    AudioError::Unsupported {
        path: path.to_owned(),
        format: format.into(),
        hint: convert_hint(path),
    }
}

fn not_wav(path: &Path, reason: impl Into<String>) -> AudioError {
    AudioError::NotWav {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn io(path: &Path, source: std::io::Error) -> AudioError {
    AudioError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The WAVE format tags' names, for refusals.
fn tag_name(tag: u16) -> String {
    let name = match tag {
        0x0002 => "Microsoft ADPCM",
        0x0006 => "A-law",
        0x0007 => "µ-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0050 => "MPEG",
        0x0055 => "MP3",
        0x0092 => "Dolby AC3",
        0x00FF => "AAC",
        0x1610 => "HE-AAC",
        0xF1AC => "FLAC",
        _ => return format!("WAVE format tag 0x{tag:04X}"),
    };
    format!("{name} (format tag 0x{tag:04X})")
}

/// The tail every KSDATAFORMAT_SUBTYPE_* GUID shares after its two-byte format tag.
const GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// A data chunk of this size was written by a tool that could not seek back (a pipe): its
/// samples run to the end of the file, as libsndfile reads it.
const STREAMED: u32 = u32::MAX;

impl WavInfo {
    /// Read and check the header of `path`.
    pub fn open(path: &Path) -> Result<(WavInfo, File), AudioError> {
        let mut file = File::open(path).map_err(|e| io(path, e))?;
        let file_len = file.metadata().map_err(|e| io(path, e))?.len();
        let info = Self::read(path, &mut file, file_len)?;
        Ok((info, file))
    }

    fn read(path: &Path, file: &mut File, file_len: u64) -> Result<WavInfo, AudioError> {
        let mut head = [0u8; 12];
        let mut got = 0;
        while got < head.len() {
            match file.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(path, e)),
            }
        }
        let magic = if got >= 4 { &head[0..4] } else { &b"????"[..] };
        match magic {
            b"RIFF" if got < 12 => {
                return Err(AudioError::Truncated {
                    path: path.to_owned(),
                    reason: "the file ends inside the 12-byte RIFF header".into(),
                })
            }
            b"RIFF" => {}
            b"RIFX" => return Err(unsupported(path, "big-endian WAV (RIFX)")),
            b"RF64" | b"BW64" => return Err(unsupported(path, "RF64 (64-bit WAV)")),
            b"riff" => return Err(unsupported(path, "Sony Wave64")),
            _ => {
                return Err(not_wav(
                    path,
                    "it does not start with a RIFF header (is it MP3, FLAC or another container?)",
                ))
            }
        }
        if &head[8..12] != b"WAVE" {
            return Err(not_wav(path, "the RIFF file is not of type WAVE"));
        }
        let mut pos = 12u64;
        let mut fmt: Option<Fmt> = None;
        loop {
            if pos + 8 > file_len {
                return Err(match fmt {
                    None => not_wav(path, "no fmt chunk before the end of the file"),
                    Some(_) => AudioError::Truncated {
                        path: path.to_owned(),
                        reason: "the file ends before its data chunk".into(),
                    },
                });
            }
            let mut chunk = [0u8; 8];
            read_exact(path, file, &mut chunk, "a chunk header")?;
            pos += 8;
            let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
            match &chunk[0..4] {
                b"fmt " => {
                    if fmt.is_some() {
                        return Err(not_wav(path, "it has two fmt chunks"));
                    }
                    if size < 16 {
                        return Err(not_wav(
                            path,
                            format!("its fmt chunk is {size} bytes (at least 16 are needed)"),
                        ));
                    }
                    if pos + size as u64 > file_len {
                        return Err(AudioError::Truncated {
                            path: path.to_owned(),
                            reason: "the file ends inside its fmt chunk".into(),
                        });
                    }
                    let mut body = vec![0u8; size.min(40) as usize];
                    read_exact(path, file, &mut body, "the fmt chunk")?;
                    fmt = Some(Fmt::parse(path, &body)?);
                }
                b"data" => {
                    let Some(fmt) = fmt else {
                        return Err(not_wav(path, "its data chunk comes before the fmt chunk"));
                    };
                    let left = file_len - pos;
                    let len = if size == STREAMED {
                        left
                    } else if size as u64 > left {
                        return Err(AudioError::Truncated {
                            path: path.to_owned(),
                            reason: format!(
                                "the header promises {size} bytes of samples but the file holds {left}"
                            ),
                        });
                    } else {
                        size as u64
                    };
                    return Ok(WavInfo {
                        path: path.to_owned(),
                        channels: fmt.channels,
                        sample_rate: fmt.sample_rate,
                        encoding: fmt.encoding,
                        valid_bits: fmt.valid_bits,
                        frames: len / fmt.block_align as u64,
                        data_offset: pos,
                    });
                }
                _ => {}
            }
            // On to the next chunk, past this one's pad byte (chunks are word-aligned).
            pos += size as u64 + (size as u64 & 1);
            if pos > file_len {
                return Err(AudioError::Truncated {
                    path: path.to_owned(),
                    reason: format!(
                        "a '{}' chunk runs past the end of the file",
                        String::from_utf8_lossy(&chunk[0..4]).escape_debug()
                    ),
                });
            }
            file.seek(SeekFrom::Start(pos)).map_err(|e| io(path, e))?;
        }
    }

    /// Bytes per frame.
    pub(crate) fn block_align(&self) -> usize {
        self.encoding.width() * self.channels as usize
    }

    /// The header as one phrase, e.g. "24-bit integer PCM in 32-bit containers, 2 channels, 48000 Hz".
    pub fn describe(&self) -> String {
        let container = self.encoding.width() * 8;
        let kind = match self.encoding {
            Encoding::Float { .. } => format!("{container}-bit float"),
            _ if (self.valid_bits as usize) < container => {
                format!(
                    "{}-bit integer PCM in {container}-bit containers",
                    self.valid_bits
                )
            }
            _ => format!("{container}-bit integer PCM"),
        };
        format!(
            "{kind}, {} channel{}, {} Hz",
            self.channels,
            if self.channels == 1 { "" } else { "s" },
            self.sample_rate
        )
    }

    /// Decode `count` frames from frame `start` (clamped to the file), interleaved, as f32 the
    /// way libsndfile's `sf_read_float` returns them.
    pub fn read_frames(
        &self,
        file: &mut File,
        start: u64,
        count: u64,
    ) -> Result<Vec<f32>, AudioError> {
        let path = &self.path;
        let start = start.min(self.frames);
        let count = count.min(self.frames - start);
        let align = self.block_align() as u64;
        file.seek(SeekFrom::Start(self.data_offset + start * align))
            .map_err(|e| io(path, e))?;
        // `count · align` is at most the data chunk's length, which was checked against the file.
        let mut bytes = vec![0u8; (count * align) as usize];
        read_exact(path, file, &mut bytes, "the samples")?;
        Ok(decode(self.encoding, &bytes))
    }
}

/// Samples from little-endian bytes, scaled as libsndfile scales them.
fn decode(encoding: Encoding, bytes: &[u8]) -> Vec<f32> {
    match encoding {
        Encoding::Unsigned8 => bytes
            .iter()
            .map(|&b| (b as i32 - 128) as f32 * (1.0 / 128.0))
            .collect(),
        Encoding::Int { bytes: 2 } => bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 * (1.0 / 32_768.0))
            .collect(),
        Encoding::Int { bytes: 3 } => bytes
            .chunks_exact(3)
            .map(|b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * (1.0 / 8_388_608.0))
            .collect(),
        Encoding::Int { .. } => bytes
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 * (1.0 / 2_147_483_648.0))
            .collect(),
        Encoding::Float { bytes: 4 } => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Encoding::Float { .. } => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect(),
    }
}

/// The fmt chunk, checked.
struct Fmt {
    channels: u16,
    sample_rate: u32,
    block_align: u16,
    encoding: Encoding,
    valid_bits: u16,
}

impl Fmt {
    fn parse(path: &Path, b: &[u8]) -> Result<Fmt, AudioError> {
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let mut tag = u16_at(0);
        let channels = u16_at(2);
        let sample_rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        let block_align = u16_at(12);
        let bits = u16_at(14);
        let mut valid_bits = bits;
        if tag == 0xFFFE {
            if b.len() < 40 || u16_at(16) < 22 {
                return Err(not_wav(
                    path,
                    "its WAVE_FORMAT_EXTENSIBLE fmt chunk is shorter than 40 bytes",
                ));
            }
            if u16_at(18) != 0 {
                valid_bits = u16_at(18);
            }
            if b[26..40] != GUID_TAIL {
                return Err(unsupported(
                    path,
                    "a WAVE_FORMAT_EXTENSIBLE sub-format that is not a standard GUID",
                ));
            }
            tag = u16_at(24);
        }
        if channels == 0 {
            return Err(not_wav(path, "its header says 0 channels"));
        }
        if sample_rate == 0 {
            return Err(not_wav(path, "its header says 0 samples per second"));
        }
        if tag != 1 && tag != 3 {
            return Err(unsupported(path, tag_name(tag)));
        }
        if block_align == 0 || block_align % channels != 0 {
            return Err(not_wav(
                path,
                format!("its block align ({block_align} bytes) is not a whole number of bytes for each of its {channels} channels"),
            ));
        }
        let width = block_align / channels;
        if bits == 0 || bits as u32 > width as u32 * 8 || valid_bits == 0 || valid_bits > bits {
            return Err(not_wav(
                path,
                format!("it declares {valid_bits} valid bits in {bits}-bit samples stored in {width}-byte containers"),
            ));
        }
        let encoding = match (tag, width) {
            (1, 1) => Encoding::Unsigned8,
            (1, 2..=4) => Encoding::Int { bytes: width as u8 },
            (3, 4 | 8) => Encoding::Float { bytes: width as u8 },
            (1, _) => {
                return Err(unsupported(
                    path,
                    format!("{}-bit integer PCM", width as u32 * 8),
                ))
            }
            _ => return Err(unsupported(path, format!("{}-bit float", width as u32 * 8))),
        };
        Ok(Fmt {
            channels,
            sample_rate,
            block_align,
            encoding,
            valid_bits,
        })
    }
}

fn read_exact(path: &Path, file: &mut File, buf: &mut [u8], what: &str) -> Result<(), AudioError> {
    file.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            AudioError::Truncated {
                path: path.to_owned(),
                reason: format!("the file ends inside {what}"),
            }
        } else {
            io(path, e)
        }
    })
}
