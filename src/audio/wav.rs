//! The WAV reader: a RIFF/WAVE header → [`WavInfo`], then any range of frames decoded exactly as
//! libsndfile (and so soundfile and librosa) decodes them.
//!
//! Containers: RIFF, big-endian RIFX, and RF64 (and BW64, its broadcast twin, which libsndfile
//! does not open) with their 64-bit sizes in the ds64 chunk. Encodings: integer PCM, IEEE
//! float, G.711 µ-law and A-law, IMA ADPCM and Microsoft ADPCM (see [`super::adpcm`]), GSM
//! 06.10 ([`super::gsm610`]). A data
//! chunk cut short (a half-finished copy) is read as soundfile reads it, every whole frame (or
//! block) present, and the clip says so ([`WavInfo::cut_short`]).
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
    /// G.711 µ-law, one byte a sample.
    ULaw,
    /// G.711 A-law, one byte a sample.
    ALaw,
    /// IMA (DVI) ADPCM: blocks of `block_align` bytes, `samples_per_block` frames each.
    ImaAdpcm {
        block_align: u16,
        samples_per_block: u16,
    },
    /// Microsoft ADPCM: blocks of `block_align` bytes, `samples_per_block` frames each.
    MsAdpcm {
        block_align: u16,
        samples_per_block: u16,
    },
    /// GSM 06.10 (WAV49): mono blocks of 65 bytes, 320 frames each.
    Gsm610,
}

impl Encoding {
    /// Bytes per sample, for the encodings that store samples one by one (0 for block codecs).
    pub fn width(self) -> usize {
        match self {
            Encoding::Unsigned8 | Encoding::ULaw | Encoding::ALaw => 1,
            Encoding::Int { bytes } | Encoding::Float { bytes } => bytes as usize,
            Encoding::ImaAdpcm { .. } | Encoding::MsAdpcm { .. } | Encoding::Gsm610 => 0,
        }
    }

    /// (block align, frames per block) of a block codec.
    fn blocks(self) -> Option<(u64, u64)> {
        match self {
            Encoding::ImaAdpcm {
                block_align,
                samples_per_block,
            }
            | Encoding::MsAdpcm {
                block_align,
                samples_per_block,
            } => Some((block_align as u64, samples_per_block as u64)),
            Encoding::Gsm610 => Some((
                super::gsm610::BLOCK_ALIGN as u64,
                super::gsm610::SAMPLES_PER_BLOCK as u64,
            )),
            _ => None,
        }
    }
}

/// The file's container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Riff,
    /// RIFF with every number big-endian (header fields and PCM samples).
    Rifx,
    /// RF64 or BW64: RIFF with 64-bit sizes in a ds64 chunk.
    Rf64,
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
    /// Frames as libsndfile counts them: the whole frames in the data chunk (a trailing
    /// partial frame is ignored), or for the block codecs the blocks' frames (see
    /// [`WavInfo::read_frames`]).
    pub frames: u64,
    pub container: Container,
    /// When the data chunk is cut short: (bytes the header promises, bytes the file holds).
    pub cut_short: Option<(u64, u64)>,
    data_offset: u64,
    /// Bytes of the data chunk the file holds (at most what the header declares).
    data_len: u64,
    file_len: u64,
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
        let container =
            match magic {
                b"RIFF" | b"RIFX" | b"RF64" | b"BW64" if got < 12 => {
                    return Err(AudioError::Truncated {
                        path: path.to_owned(),
                        reason: "the file ends inside the 12-byte RIFF header".into(),
                    })
                }
                b"RIFF" => Container::Riff,
                b"RIFX" => Container::Rifx,
                b"RF64" | b"BW64" => Container::Rf64,
                b"riff" => return Err(unsupported(path, "Sony Wave64")),
                _ => return Err(not_wav(
                    path,
                    "it does not start with a RIFF header (is it MP3, FLAC or another container?)",
                )),
            };
        let be = container == Container::Rifx;
        if &head[8..12] != b"WAVE" {
            return Err(not_wav(path, "the RIFF file is not of type WAVE"));
        }
        let mut pos = 12u64;
        let mut fmt: Option<Fmt> = None;
        // RF64's 64-bit data size (ds64 chunk), which overrides the data chunk's own.
        let mut ds64_data: Option<u64> = None;
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
            let size = u32_at(&chunk, 4, be);
            match &chunk[0..4] {
                b"ds64" if container == Container::Rf64 => {
                    if size < 24 || pos + 24 > file_len {
                        return Err(not_wav(path, "its ds64 chunk is shorter than 24 bytes"));
                    }
                    let mut body = [0u8; 24];
                    read_exact(path, file, &mut body, "the ds64 chunk")?;
                    ds64_data = Some(u64::from_le_bytes(body[8..16].try_into().expect("8 bytes")));
                }
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
                    fmt = Some(Fmt::parse(path, &body, be)?);
                }
                b"data" => {
                    let Some(fmt) = fmt else {
                        return Err(not_wav(path, "its data chunk comes before the fmt chunk"));
                    };
                    let left = file_len - pos;
                    let declared = match (ds64_data, container) {
                        (Some(d), _) => d,
                        (None, Container::Rf64) if size == STREAMED => {
                            return Err(not_wav(
                                path,
                                "its RF64 data chunk's size is 0xFFFFFFFF but it has no ds64 chunk giving the real size",
                            ))
                        }
                        (None, _) if size == STREAMED => left,
                        (None, _) => size as u64,
                    };
                    let len = declared.min(left);
                    return Ok(WavInfo {
                        path: path.to_owned(),
                        channels: fmt.channels,
                        sample_rate: fmt.sample_rate,
                        encoding: fmt.encoding,
                        valid_bits: fmt.valid_bits,
                        frames: frames(fmt.encoding, fmt.channels, len, declared),
                        container,
                        cut_short: (declared > left).then_some((declared, left)),
                        data_offset: pos,
                        data_len: len,
                        file_len,
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

    /// Bytes per frame, for the encodings that store samples one by one.
    pub(crate) fn block_align(&self) -> usize {
        self.encoding.width() * self.channels as usize
    }

    /// The header as one phrase, e.g. "24-bit integer PCM in 32-bit containers, 2 channels, 48000 Hz".
    pub fn describe(&self) -> String {
        let container = self.encoding.width() * 8;
        let kind = match self.encoding {
            Encoding::Float { .. } => format!("{container}-bit float"),
            Encoding::ULaw => "µ-law".to_string(),
            Encoding::ALaw => "A-law".to_string(),
            Encoding::ImaAdpcm { .. } => "IMA ADPCM".to_string(),
            Encoding::MsAdpcm { .. } => "Microsoft ADPCM".to_string(),
            Encoding::Gsm610 => "GSM 6.10".to_string(),
            _ if (self.valid_bits as usize) < container => {
                format!(
                    "{}-bit integer PCM in {container}-bit containers",
                    self.valid_bits
                )
            }
            _ => format!("{container}-bit integer PCM"),
        };
        let wrapper = match self.container {
            Container::Riff => "",
            Container::Rifx => " (big-endian RIFX)",
            Container::Rf64 => " (RF64)",
        };
        format!(
            "{kind}{wrapper}, {} channel{}, {} Hz",
            self.channels,
            if self.channels == 1 { "" } else { "s" },
            self.sample_rate
        )
    }

    /// What a reader should tell the user about this file beyond its samples: a data chunk cut
    /// short.
    pub fn warnings(&self) -> Vec<String> {
        self.cut_short
            .map(|(declared, held)| {
                format!(
                    "{} is cut short: its header promises {declared} bytes of samples and the file holds {held}; the {} whole frames present ({:.3} s) are read, as soundfile reads them. Copy or download it again if that is not the whole recording.",
                    self.path.display(),
                    self.frames,
                    self.frames as f64 / self.sample_rate as f64
                )
            })
            .into_iter()
            .collect()
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
        if let Some((align, spb)) = self.encoding.blocks() {
            return self.read_blocks(file, start, count, align, spb);
        }
        let align = self.block_align() as u64;
        file.seek(SeekFrom::Start(self.data_offset + start * align))
            .map_err(|e| io(path, e))?;
        // `count · align` is at most the data chunk's length, which was checked against the file.
        let mut bytes = vec![0u8; (count * align) as usize];
        read_exact(path, file, &mut bytes, "the samples")?;
        Ok(decode(
            self.encoding,
            &bytes,
            self.container == Container::Rifx,
        ))
    }

    /// [`read_frames`](Self::read_frames) for a block codec: decode the blocks the frames fall
    /// in. A block the file holds only part of is completed, as libsndfile completes it, with
    /// the previous block's bytes at the same places (zeros before the first block).
    fn read_blocks(
        &self,
        file: &mut File,
        start: u64,
        count: u64,
        align: u64,
        spb: u64,
    ) -> Result<Vec<f32>, AudioError> {
        let channels = self.channels as usize;
        // GSM's decoder state runs on across blocks: it starts from the first.
        let gsm = self.encoding == Encoding::Gsm610;
        let first = if gsm { 0 } else { start / spb };
        let end = (start + count).div_ceil(spb);
        let mut decoder = super::gsm610::Decoder::default();
        let mut block = vec![0u8; align as usize];
        let mut held: Option<u64> = None;
        let mut samples = Vec::with_capacity(((end - first) * spb) as usize * channels);
        for b in first..end {
            let at = self.data_offset + b * align;
            let here = align.min(self.file_len.saturating_sub(at));
            if here < align && b > 0 && held != Some(b - 1) {
                // The stale bytes libsndfile would still hold: the previous block's.
                self.read_at(file, at - align, &mut block)?;
            }
            self.read_at(file, at, &mut block[..here as usize])?;
            held = Some(b);
            match self.encoding {
                Encoding::ImaAdpcm { .. } => {
                    super::adpcm::ima_block(&block, channels, spb as usize, &mut samples)
                }
                Encoding::Gsm610 => decoder.block(&block, &mut samples),
                _ => super::adpcm::ms_block(&block, channels, spb as usize, &mut samples),
            }
        }
        let skip = ((start - first * spb) as usize) * channels;
        Ok(samples[skip..skip + count as usize * channels]
            .iter()
            .map(|&v| v as f32 * (1.0 / 32_768.0))
            .collect())
    }

    fn read_at(&self, file: &mut File, at: u64, buf: &mut [u8]) -> Result<(), AudioError> {
        file.seek(SeekFrom::Start(at))
            .map_err(|e| io(&self.path, e))?;
        read_exact(&self.path, file, buf, "the samples")
    }
}

/// Frames libsndfile reports for `len` bytes of samples held of `declared`: whole frames; for
/// IMA ADPCM every block begun (the last completed from stale bytes), for Microsoft ADPCM the
/// whole blocks, counting the chunk's pad byte.
fn frames(encoding: Encoding, channels: u16, len: u64, declared: u64) -> u64 {
    match encoding {
        Encoding::ImaAdpcm {
            block_align,
            samples_per_block,
        } => len.div_ceil(block_align as u64) * samples_per_block as u64,
        Encoding::MsAdpcm {
            block_align,
            samples_per_block,
        } => (len + (declared & 1)) / block_align as u64 * samples_per_block as u64,
        // Every block begun, counting the chunk's pad byte (so an odd number of whole blocks
        // reads one more, from the pad byte and stale bytes, as libsndfile does).
        Encoding::Gsm610 => {
            (len + (declared & 1)).div_ceil(super::gsm610::BLOCK_ALIGN as u64)
                * super::gsm610::SAMPLES_PER_BLOCK as u64
        }
        _ => len / (encoding.width() as u64 * channels as u64),
    }
}

fn u16_at(b: &[u8], i: usize, be: bool) -> u16 {
    let v = [b[i], b[i + 1]];
    if be {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

fn u32_at(b: &[u8], i: usize, be: bool) -> u32 {
    let v = [b[i], b[i + 1], b[i + 2], b[i + 3]];
    if be {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

/// Samples from their bytes (little-endian, or big-endian from a RIFX file), scaled as
/// libsndfile scales them.
fn decode(encoding: Encoding, bytes: &[u8], be: bool) -> Vec<f32> {
    fn word<const N: usize>(b: &[u8], be: bool) -> [u8; N] {
        let mut w: [u8; N] = b.try_into().expect("a sample's bytes");
        if be {
            w.reverse();
        }
        w
    }
    match encoding {
        Encoding::Unsigned8 => bytes
            .iter()
            .map(|&b| (b as i32 - 128) as f32 * (1.0 / 128.0))
            .collect(),
        Encoding::ULaw => bytes
            .iter()
            .map(|&b| super::adpcm::ulaw(b) as f32 * (1.0 / 32_768.0))
            .collect(),
        Encoding::ALaw => bytes
            .iter()
            .map(|&b| super::adpcm::alaw(b) as f32 * (1.0 / 32_768.0))
            .collect(),
        Encoding::Int { bytes: 2 } => bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes(word(b, be)) as f32 * (1.0 / 32_768.0))
            .collect(),
        Encoding::Int { bytes: 3 } => bytes
            .chunks_exact(3)
            .map(|b| {
                let [x, y, z] = word::<3>(b, be);
                (i32::from_le_bytes([0, x, y, z]) >> 8) as f32 * (1.0 / 8_388_608.0)
            })
            .collect(),
        Encoding::Int { .. } => bytes
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes(word(b, be)) as f32 * (1.0 / 2_147_483_648.0))
            .collect(),
        Encoding::Float { bytes: 4 } => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(word(b, be)))
            .collect(),
        Encoding::Float { .. } => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(word(b, be)) as f32)
            .collect(),
        Encoding::ImaAdpcm { .. } | Encoding::MsAdpcm { .. } | Encoding::Gsm610 => {
            unreachable!("block codecs are decoded block by block")
        }
    }
}

/// The fmt chunk, checked.
struct Fmt {
    channels: u16,
    sample_rate: u32,
    encoding: Encoding,
    valid_bits: u16,
}

impl Fmt {
    fn parse(path: &Path, b: &[u8], be: bool) -> Result<Fmt, AudioError> {
        let at16 = |i: usize| u16_at(b, i, be);
        let mut tag = at16(0);
        let channels = at16(2);
        let sample_rate = u32_at(b, 4, be);
        let block_align = at16(12);
        let bits = at16(14);
        let mut valid_bits = bits;
        if tag == 0xFFFE {
            if b.len() < 40 || at16(16) < 22 {
                return Err(not_wav(
                    path,
                    "its WAVE_FORMAT_EXTENSIBLE fmt chunk is shorter than 40 bytes",
                ));
            }
            if at16(18) != 0 {
                valid_bits = at16(18);
            }
            if b[26..40] != GUID_TAIL {
                return Err(unsupported(
                    path,
                    "a WAVE_FORMAT_EXTENSIBLE sub-format that is not a standard GUID",
                ));
            }
            tag = at16(24);
        }
        if channels == 0 {
            return Err(not_wav(path, "its header says 0 channels"));
        }
        if sample_rate == 0 {
            return Err(not_wav(path, "its header says 0 samples per second"));
        }
        let encoding = match tag {
            1 | 3 => Self::pcm(path, tag, channels, block_align, bits, valid_bits)?,
            // G.711: one byte a sample whatever the header's bits and block align say, as
            // libsndfile reads it.
            6 => Encoding::ALaw,
            7 => Encoding::ULaw,
            0x11 | 0x02 => Self::adpcm(path, tag, channels, block_align, bits, b, be)?,
            0x31 => Self::gsm(path, channels, block_align, b, be)?,
            _ => return Err(unsupported(path, tag_name(tag))),
        };
        Ok(Fmt {
            channels,
            sample_rate,
            encoding,
            valid_bits: match encoding {
                Encoding::ULaw | Encoding::ALaw => 8,
                Encoding::ImaAdpcm { .. } | Encoding::MsAdpcm { .. } => 4,
                Encoding::Gsm610 => 16,
                _ => valid_bits,
            },
        })
    }

    /// Integer PCM (tag 1) or IEEE float (tag 3).
    fn pcm(
        path: &Path,
        tag: u16,
        channels: u16,
        block_align: u16,
        bits: u16,
        valid_bits: u16,
    ) -> Result<Encoding, AudioError> {
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
        Ok(match (tag, width) {
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
        })
    }

    /// GSM 06.10 (tag 0x31): mono, 65-byte blocks of 320 samples, as libsndfile requires.
    fn gsm(
        path: &Path,
        channels: u16,
        block_align: u16,
        b: &[u8],
        be: bool,
    ) -> Result<Encoding, AudioError> {
        if channels != 1 {
            return Err(unsupported(
                path,
                format!("GSM 6.10 with {channels} channels"),
            ));
        }
        let spb = (b.len() >= 20 && u16_at(b, 16, be) >= 2).then(|| u16_at(b, 18, be));
        if block_align as usize != super::gsm610::BLOCK_ALIGN
            || spb != Some(super::gsm610::SAMPLES_PER_BLOCK as u16)
        {
            return Err(not_wav(
                path,
                format!(
                    "its GSM 6.10 header says blocks of {block_align} bytes and {} samples (WAV's GSM has 65 and 320)",
                    spb.map_or("no count of".to_string(), |n| n.to_string())
                ),
            ));
        }
        Ok(Encoding::Gsm610)
    }

    /// IMA ADPCM (tag 0x11) or Microsoft ADPCM (tag 0x02): 4-bit codes, one or two channels,
    /// and the samples per block (in the fmt chunk's extension) that the block align holds,
    /// as libsndfile requires.
    fn adpcm(
        path: &Path,
        tag: u16,
        channels: u16,
        block_align: u16,
        bits: u16,
        b: &[u8],
        be: bool,
    ) -> Result<Encoding, AudioError> {
        let name = tag_name(tag);
        if !(1..=2).contains(&channels) {
            return Err(unsupported(
                path,
                format!("{name} with {channels} channels"),
            ));
        }
        if bits != 4 {
            return Err(not_wav(
                path,
                format!("its {name} header says {bits} bits a sample (ADPCM codes are 4)"),
            ));
        }
        if b.len() < 20 || u16_at(b, 16, be) < 2 {
            return Err(not_wav(
                path,
                format!("its {name} fmt chunk lacks the samples-per-block field"),
            ));
        }
        let spb = u16_at(b, 18, be);
        let (ch, ba) = (channels as usize, block_align as usize);
        let expected = if tag == 0x11 {
            super::adpcm::ima_samples_per_block(ba, ch)
        } else {
            super::adpcm::ms_samples_per_block(ba, ch).filter(|&n| n >= 7 * ch)
        };
        // IMA interleaves channels in groups of 4 bytes: a block must hold whole groups.
        if tag == 0x11 && channels > 1 && (ba < 4 * ch || (ba - 4 * ch) % (4 * ch) != 0) {
            return Err(not_wav(
                path,
                format!("its {name} block align ({block_align} bytes) is not a header plus whole 4-byte groups for each of its {channels} channels"),
            ));
        }
        if expected != Some(spb as usize) || spb < 2 {
            return Err(not_wav(
                path,
                format!("its {name} header says {spb} samples per block, but a block of {block_align} bytes for {channels} channel(s) holds {}", expected.map_or("none".to_string(), |n| n.to_string())),
            ));
        }
        Ok(if tag == 0x11 {
            Encoding::ImaAdpcm {
                block_align,
                samples_per_block: spb,
            }
        } else {
            Encoding::MsAdpcm {
                block_align,
                samples_per_block: spb,
            }
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
