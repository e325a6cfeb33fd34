//! The WAV codecs that are not plain samples, decoded to 16-bit integers exactly as libsndfile
//! (and so soundfile and librosa) decodes them: G.711 µ-law and A-law (one byte a sample), IMA
//! ADPCM and Microsoft ADPCM (blocks with a header per channel, then 4-bit codes).
//!
//! libsndfile's choices, where codecs leave room: IMA's step is the sum of shifted steps (not
//! `(2c+1)·step/8`); MS ADPCM always uses the seven standard coefficient pairs (a file's own
//! table is ignored), wraps the adapted step to 16 bits, predicts with an arithmetic shift
//! (floor, not truncation), and emits a block's second header sample first.

/// G.711 µ-law byte → sample (the CCITT reference expansion; libsndfile's table holds it).
pub(crate) fn ulaw(b: u8) -> i16 {
    let u = !b;
    let t = ((((u & 0x0F) as i32) << 3) + 0x84) << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

/// G.711 A-law byte → sample.
pub(crate) fn alaw(b: u8) -> i16 {
    let a = b ^ 0x55;
    let t = ((a & 0x0F) as i32) << 4;
    let t = match (a & 0x70) >> 4 {
        0 => t + 8,
        1 => t + 0x108,
        seg => (t + 0x108) << (seg - 1),
    };
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const IMA_INDEX_ADJUST: [i32; 16] = [-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8];

const IMA_STEP: [i32; 89] = [
    7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66,
    73, 80, 88, 97, 107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449,
    494, 544, 598, 658, 724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272,
    2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493,
    10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
];

/// IMA ADPCM samples per block of `block_align` bytes for `channels` channels: the header's
/// sample plus two per data byte of each channel.
pub(crate) fn ima_samples_per_block(block_align: usize, channels: usize) -> Option<usize> {
    let data = block_align.checked_sub(4 * channels)?;
    Some(2 * data / channels + 1)
}

/// Decode one IMA ADPCM block (`block.len()` = block align) into `out`, interleaved,
/// `spb × channels` samples. Per channel the header is a predictor (i16 LE), a step index
/// (clamped to 0..=88) and a reserved byte; the codes follow in groups of 4 bytes per channel,
/// low nibble first.
pub(crate) fn ima_block(block: &[u8], channels: usize, spb: usize, out: &mut Vec<i16>) {
    let base = out.len();
    out.resize(base + spb * channels, 0);
    let data = &block[4 * channels..];
    for c in 0..channels {
        let h = &block[4 * c..4 * c + 4];
        let mut pred = i16::from_le_bytes([h[0], h[1]]) as i32;
        let mut index = (h[2] as i32).min(88);
        out[base + c] = pred as i16;
        for k in 0..spb - 1 {
            let byte = data[((k / 8) * channels + c) * 4 + (k % 8) / 2];
            let code = if k % 2 == 0 { byte & 0x0F } else { byte >> 4 } as i32;
            let step = IMA_STEP[index as usize];
            let mut diff = step >> 3;
            if code & 1 != 0 {
                diff += step >> 2;
            }
            if code & 2 != 0 {
                diff += step >> 1;
            }
            if code & 4 != 0 {
                diff += step;
            }
            if code & 8 != 0 {
                diff = -diff;
            }
            pred = (pred + diff).clamp(-32_768, 32_767);
            index = (index + IMA_INDEX_ADJUST[code as usize]).clamp(0, 88);
            out[base + (k + 1) * channels + c] = pred as i16;
        }
    }
}

const MS_COEFF1: [i32; 7] = [256, 512, 0, 192, 240, 460, 392];
const MS_COEFF2: [i32; 7] = [0, -256, 0, 64, 0, -208, -232];
const MS_ADAPT: [i32; 16] = [
    230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230,
];

/// Microsoft ADPCM samples per block: the two header samples plus two per data byte of each
/// channel (the header is 7 bytes a channel).
pub(crate) fn ms_samples_per_block(block_align: usize, channels: usize) -> Option<usize> {
    let data = block_align.checked_sub(6 * channels)?;
    Some(2 * data / channels)
}

/// Decode one Microsoft ADPCM block into `out`, interleaved, `spb × channels` samples. The
/// header holds, channel by channel in turn, the predictor index (u8; 7 and above mean 0),
/// the step (i16), the last sample and the one before it; the codes follow one nibble a
/// sample, interleaved across channels, high nibble first.
pub(crate) fn ms_block(block: &[u8], channels: usize, spb: usize, out: &mut Vec<i16>) {
    let base = out.len();
    out.resize(base + spb * channels, 0);
    let i16_at = |i: usize| i16::from_le_bytes([block[i], block[i + 1]]) as i32;
    let mut pred = vec![0usize; channels];
    let mut delta = vec![0i32; channels];
    for c in 0..channels {
        pred[c] = if block[c] < 7 { block[c] as usize } else { 0 };
        delta[c] = i16_at(channels + 2 * c);
        let s1 = i16_at(3 * channels + 2 * c);
        let s2 = i16_at(5 * channels + 2 * c);
        out[base + c] = s2 as i16;
        out[base + channels + c] = s1 as i16;
    }
    let codes = &block[7 * channels..];
    for n in 0..(spb - 2) * channels {
        let byte = codes[n / 2];
        let code = if n % 2 == 0 { byte >> 4 } else { byte & 0x0F } as i32;
        let c = n % channels;
        let at = base + 2 * channels + n;
        let s1 = out[at - channels] as i32;
        let s2 = out[at - 2 * channels] as i32;
        let p = pred[c];
        let predicted = (s1 * MS_COEFF1[p] + s2 * MS_COEFF2[p]) >> 8;
        let signed = if code & 8 != 0 { code - 16 } else { code };
        out[at] = (signed * delta[c] + predicted).clamp(-32_768, 32_767) as i16;
        let adapted = ((MS_ADAPT[code as usize] * delta[c]) >> 8) as i16 as i32;
        delta[c] = adapted.max(16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_expands_as_the_reference_tables() {
        assert_eq!(ulaw(0x00), -32_124);
        assert_eq!(ulaw(0x80), 32_124);
        assert_eq!(ulaw(0x7F), 0);
        assert_eq!(ulaw(0xFF), 0);
        assert_eq!(alaw(0x55), -8);
        assert_eq!(alaw(0xD5), 8);
        assert_eq!(alaw(0x2A), -32_256);
        assert_eq!(alaw(0xAA), 32_256);
    }

    #[test]
    fn ima_steps_sum_shifted_steps() {
        // Step 7 (index 0), code 7: 0 + 1 + 3 + 7 = 11 (not (2·7+1)·7/8 = 13); the index moves
        // up 8 to step 16, and code 0 then adds 16 >> 3 = 2.
        let mut block = vec![0u8; 4 + 4];
        block[4] = 0x07;
        let mut out = Vec::new();
        ima_block(&block, 1, ima_samples_per_block(8, 1).unwrap(), &mut out);
        assert_eq!(out[..3], [0, 11, 13]);
    }

    #[test]
    fn ms_emits_the_older_header_sample_first_and_floors() {
        // Predictor 1 (2·s1 − s2), step 16, s1 = 3, s2 = −5: first outputs −5, 3; code 0
        // predicts (3·512 − (−5)·256) >> 8 = 11.
        let mut block = vec![1u8];
        for v in [16i16, 3, -5] {
            block.extend(v.to_le_bytes());
        }
        block.push(0x00);
        let mut out = Vec::new();
        ms_block(&block, 1, ms_samples_per_block(8, 1).unwrap(), &mut out);
        assert_eq!(out, [-5, 3, 11, 19]);
    }
}
