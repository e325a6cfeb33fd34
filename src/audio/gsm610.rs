//! GSM 06.10 full-rate speech in WAV files (format tag 0x31, Microsoft's "WAV49" packing),
//! decoded as libsndfile decodes it: the fixed-point RPE-LTP decoder of the ETSI standard in
//! the reference implementation libsndfile carries (Jutta Degener and Carsten Bormann, TU
//! Berlin), ported operation for operation, with its 16-bit saturating and wrapping arithmetic.
//!
//! A WAV block is 65 bytes holding two 160-sample frames, packed least-significant bit first
//! (the first frame ends half-way through byte 32). The decoder's state runs on from frame to
//! frame, so a file is decoded from its first block.

/// Frames (samples, mono) in one 65-byte block.
pub(crate) const SAMPLES_PER_BLOCK: usize = 320;
/// Bytes in one block.
pub(crate) const BLOCK_ALIGN: usize = 65;

const MIN: i32 = i16::MIN as i32;
const MAX: i32 = i16::MAX as i32;

fn sat(x: i32) -> i16 {
    x.clamp(MIN, MAX) as i16
}

fn add(a: i16, b: i16) -> i16 {
    sat(a as i32 + b as i32)
}

fn sub(a: i16, b: i16) -> i16 {
    sat(a as i32 - b as i32)
}

/// `GSM_MULT_R`: rounded Q15 product, wrapping (as the reference's int16 assignment does).
fn mult_r(a: i16, b: i16) -> i16 {
    ((a as i32 * b as i32 + 16_384) >> 15) as i16
}

/// `gsm_mult_r` as the synthesis filter inlines it: saturating only for MIN × MIN.
fn mult_r_sat(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        i16::MAX
    } else {
        mult_r(a, b)
    }
}

/// `gsm_asr`: arithmetic shift right by `n` (left for negative `n`).
fn asr(a: i16, n: i32) -> i16 {
    if n >= 16 {
        -((a < 0) as i16)
    } else if n <= -16 {
        0
    } else if n < 0 {
        ((a as i32) << -n) as i16
    } else {
        a >> n
    }
}

/// `gsm_asl`: arithmetic shift left by `n` (right for negative `n`).
fn asl(a: i16, n: i32) -> i16 {
    if n >= 16 {
        0
    } else if n <= -16 {
        -((a < 0) as i16)
    } else if n < 0 {
        asr(a, -n)
    } else {
        ((a as i32) << n) as i16
    }
}

/// Table 4.3b: LTP gain levels.
const QLB: [i16; 4] = [3277, 11469, 21299, 32767];
/// Table 4.6: normalised direct mantissa.
const FAC: [i16; 8] = [18431, 20479, 22527, 24575, 26623, 28671, 30719, 32767];
/// Table 4.1 (B, MIC) and 4.2 (INVA) for decoding the log-area ratios.
const LAR_B: [i16; 8] = [0, 0, 2048, -2560, 94, -1792, -341, -1144];
const LAR_MIC: [i16; 8] = [-32, -32, -16, -16, -8, -8, -4, -4];
const LAR_INVA: [i16; 8] = [13107, 13107, 13107, 13107, 19223, 17476, 31454, 29708];

/// One frame's parameters, as unpacked.
struct Frame {
    larc: [i16; 8],
    nc: [i16; 4],
    bc: [i16; 4],
    mc: [i16; 4],
    xmaxc: [i16; 4],
    xmc: [i16; 52],
}

/// Least-significant-bit-first reader over a block.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: usize) -> i16 {
        let mut v = 0i16;
        for i in 0..n {
            let bit = (self.bytes[(self.at + i) / 8] >> ((self.at + i) % 8)) & 1;
            v |= (bit as i16) << i;
        }
        self.at += n;
        v
    }

    fn frame(&mut self) -> Frame {
        let mut f = Frame {
            larc: [0; 8],
            nc: [0; 4],
            bc: [0; 4],
            mc: [0; 4],
            xmaxc: [0; 4],
            xmc: [0; 52],
        };
        for (i, w) in [6, 6, 5, 5, 4, 4, 3, 3].into_iter().enumerate() {
            f.larc[i] = self.take(w);
        }
        for j in 0..4 {
            f.nc[j] = self.take(7);
            f.bc[j] = self.take(2);
            f.mc[j] = self.take(2);
            f.xmaxc[j] = self.take(6);
            for k in 0..13 {
                f.xmc[j * 13 + k] = self.take(3);
            }
        }
        f
    }
}

/// The decoder's state, carried from frame to frame.
pub(crate) struct Decoder {
    /// Reconstructed short-term residual: `dp0[120 + k]` is `drp[k]`.
    dp0: [i16; 280],
    nrp: i16,
    /// Short-term synthesis filter memory.
    v: [i16; 9],
    /// The previous frame's decoded log-area ratios.
    larpp: [i16; 8],
    /// De-emphasis memory.
    msr: i16,
}

impl Default for Decoder {
    fn default() -> Self {
        Self {
            dp0: [0; 280],
            nrp: 40,
            v: [0; 9],
            larpp: [0; 8],
            msr: 0,
        }
    }
}

impl Decoder {
    /// Decode one 65-byte block into 320 samples appended to `out`.
    pub(crate) fn block(&mut self, block: &[u8], out: &mut Vec<i16>) {
        let mut bits = Bits {
            bytes: &block[..BLOCK_ALIGN],
            at: 0,
        };
        let (a, b) = (bits.frame(), bits.frame());
        for f in [a, b] {
            let start = out.len();
            out.resize(start + 160, 0);
            self.frame(&f, &mut out[start..]);
        }
    }

    /// 4.3: RPE decoding and long-term synthesis per subframe, short-term synthesis, then
    /// de-emphasis and truncation.
    fn frame(&mut self, f: &Frame, s: &mut [i16]) {
        let mut wt = [0i16; 160];
        for j in 0..4 {
            let erp = rpe_decoding(f.xmaxc[j], f.mc[j], &f.xmc[j * 13..j * 13 + 13]);
            self.long_term_synthesis(f.nc[j], f.bc[j], &erp);
            wt[j * 40..j * 40 + 40].copy_from_slice(&self.dp0[120..160]);
        }
        self.short_term_synthesis(&f.larc, &wt, s);
        for x in s.iter_mut() {
            let tmp = mult_r(self.msr, 28180);
            self.msr = add(*x, tmp);
            *x = add(self.msr, self.msr) & !7;
        }
    }

    /// 4.3.2
    fn long_term_synthesis(&mut self, ncr: i16, bcr: i16, erp: &[i16; 40]) {
        let nr = if !(40..=120).contains(&ncr) {
            self.nrp
        } else {
            ncr
        };
        self.nrp = nr;
        let brp = QLB[bcr as usize];
        for (k, &e) in erp.iter().enumerate() {
            let drpp = mult_r(brp, self.dp0[120 + k - nr as usize]);
            self.dp0[120 + k] = add(e, drpp);
        }
        self.dp0.copy_within(40..160, 0);
    }

    /// 4.2.8 – 4.2.10 for the decoder: the log-area ratios decoded, interpolated with the
    /// previous frame's over four segments, turned into reflection coefficients, and the
    /// lattice synthesis filter run.
    fn short_term_synthesis(&mut self, larc: &[i16; 8], wt: &[i16; 160], s: &mut [i16]) {
        let prev = self.larpp;
        let mut cur = [0i16; 8];
        for i in 0..8 {
            let t = ((add(larc[i], LAR_MIC[i]) as i32) << 10) as i16;
            let t = sub(t, LAR_B[i].wrapping_mul(2));
            let t = mult_r(LAR_INVA[i], t);
            cur[i] = add(t, t);
        }
        self.larpp = cur;
        let segments: [(usize, usize); 4] = [(0, 13), (13, 27), (27, 40), (40, 160)];
        for (n, (from, to)) in segments.into_iter().enumerate() {
            let mut rp = [0i16; 8];
            for i in 0..8 {
                rp[i] = match n {
                    0 => add(add(prev[i] >> 2, cur[i] >> 2), prev[i] >> 1),
                    1 => add(prev[i] >> 1, cur[i] >> 1),
                    2 => add(add(prev[i] >> 2, cur[i] >> 2), cur[i] >> 1),
                    _ => cur[i],
                };
                rp[i] = lar_to_rp(rp[i]);
            }
            for k in from..to {
                let mut sri = wt[k];
                for i in (0..8).rev() {
                    sri = sub(sri, mult_r_sat(rp[i], self.v[i]));
                    self.v[i + 1] = add(self.v[i], mult_r_sat(rp[i], sri));
                }
                self.v[0] = sri;
                s[k] = sri;
            }
        }
    }
}

/// 4.2.9.2: an interpolated log-area ratio to a reflection coefficient.
fn lar_to_rp(lar: i16) -> i16 {
    let map = |t: i16| {
        if t < 11059 {
            t << 1
        } else if t < 20070 {
            t + 11059
        } else {
            add(t >> 2, 26112)
        }
    };
    if lar < 0 {
        let t = if lar == i16::MIN { i16::MAX } else { -lar };
        -map(t)
    } else {
        map(lar)
    }
}

/// 4.2.15 – 4.2.17: the RPE samples of one subframe, dequantised and put on their grid.
fn rpe_decoding(xmaxc: i16, mc: i16, xmc: &[i16]) -> [i16; 40] {
    let mut exp = 0i16;
    if xmaxc > 15 {
        exp = (xmaxc >> 3) - 1;
    }
    let mut mant = xmaxc - (exp << 3);
    if mant == 0 {
        exp = -4;
        mant = 7;
    } else {
        while mant <= 7 {
            mant = (mant << 1) | 1;
            exp -= 1;
        }
        mant -= 8;
    }
    let temp1 = FAC[mant as usize];
    let temp2 = sub(6, exp);
    let temp3 = asl(1, sub(temp2, 1) as i32);
    let mut ep = [0i16; 40];
    for (i, &x) in xmc.iter().enumerate() {
        let t = (((x << 1) - 7) as i32) << 12;
        let t = mult_r(temp1, t as i16);
        let t = add(t, temp3);
        ep[mc as usize + 3 * i] = asr(t, temp2 as i32);
    }
    ep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_follow_the_reference() {
        assert_eq!(asr(-5, 1), -3);
        assert_eq!(asr(-5, 20), -1);
        assert_eq!(asr(5, 20), 0);
        assert_eq!(asr(3, -2), 12);
        assert_eq!(asl(1, -1), 0);
        assert_eq!(asl(1, 16), 0);
        assert_eq!(mult_r(i16::MIN, i16::MIN), i16::MIN);
        assert_eq!(mult_r_sat(i16::MIN, i16::MIN), i16::MAX);
        assert_eq!(lar_to_rp(i16::MIN), -add(i16::MAX >> 2, 26112));
    }

    #[test]
    fn a_block_unpacks_two_frames_of_260_bits() {
        // All-ones bits: every field at its maximum; the decoder runs on any bits.
        let mut d = Decoder::default();
        let mut out = Vec::new();
        d.block(&[0xFF; BLOCK_ALIGN], &mut out);
        assert_eq!(out.len(), SAMPLES_PER_BLOCK);
        assert!(out.iter().all(|&v| v & 7 == 0), "low 3 bits cleared");
        let mut bits = Bits {
            bytes: &[0xFF; BLOCK_ALIGN],
            at: 0,
        };
        let f = bits.frame();
        assert_eq!((f.larc[0], f.larc[7], f.nc[3], f.xmc[51]), (63, 7, 127, 7));
        assert_eq!(bits.at, 260);
    }
}
