//! The graph's own f64 evaluator: what the ONNX file computes, independently of the network
//! reader (tests and the export check compare the two).

use std::collections::HashMap;

use super::graph::{resolve_axis, OnnxGraph, Op, Tensor};
use super::OnnxError;
use crate::model::{INPUT_H, INPUT_W};

impl OnnxGraph {
    /// Evaluate the graph in f64 on the given named inputs; returns every graph output.
    pub fn run(&self, inputs: &[(&str, Tensor)]) -> Result<HashMap<String, Tensor>, OnnxError> {
        let mut env: HashMap<String, Tensor> = self.initializers.clone();
        for (name, t) in inputs {
            env.insert(name.to_string(), t.clone());
        }
        for n in &self.nodes {
            let get = |i: usize| -> Result<&Tensor, OnnxError> {
                let name = n
                    .inputs
                    .get(i)
                    .ok_or_else(|| OnnxError::Eval(format!("node '{}' lacks input {i}", n.name)))?;
                env.get(name).ok_or_else(|| {
                    OnnxError::Eval(format!(
                        "node '{}' reads '{name}', which is not set: pass it as an input",
                        n.name
                    ))
                })
            };
            let out = match &n.op {
                Op::Identity => get(0)?.clone(),
                Op::Relu => map(get(0)?, |v| v.max(0.0)),
                Op::Sigmoid => map(get(0)?, |v| 1.0 / (1.0 + (-v).exp())),
                Op::Constant(t) => t.clone(),
                Op::Flatten { axis } => {
                    let x = get(0)?;
                    let axis = resolve_axis(*axis, x.dims.len()).ok_or_else(|| {
                        OnnxError::Eval(format!(
                            "node '{}': Flatten axis {axis} for a {}-D input",
                            n.name,
                            x.dims.len()
                        ))
                    })?;
                    let a: usize = x.dims[..axis].iter().product();
                    Tensor::new(vec![a, x.data.len() / a.max(1)], x.data.clone())
                }
                Op::Reshape => {
                    let x = get(0)?;
                    let shape = get(1)?;
                    let mut dims: Vec<i64> = shape.data.iter().map(|&v| v as i64).collect();
                    for (i, d) in dims.iter_mut().enumerate() {
                        if *d == 0 {
                            // 0 copies the input's dimension at the same place.
                            *d = *x.dims.get(i).ok_or_else(|| {
                                OnnxError::Eval(format!(
                                    "node '{}': shape {:?} copies dimension {i} of a {}-D input",
                                    n.name,
                                    shape.data,
                                    x.dims.len()
                                ))
                            })? as i64;
                        }
                    }
                    let known = dims
                        .iter()
                        .filter(|&&d| d > 0)
                        .try_fold(1i64, |p, &d| p.checked_mul(d))
                        .filter(|&k| k as usize <= x.data.len().max(1))
                        .ok_or_else(|| {
                            OnnxError::Eval(format!(
                                "node '{}': cannot reshape {:?} to {:?}",
                                n.name, x.dims, shape.data
                            ))
                        })?;
                    let dims: Vec<usize> = dims
                        .iter()
                        .map(|&d| {
                            if d < 0 {
                                x.data.len() / known.max(1) as usize
                            } else {
                                d as usize
                            }
                        })
                        .collect();
                    if dims.iter().product::<usize>() != x.data.len() {
                        return Err(OnnxError::Eval(format!(
                            "node '{}': cannot reshape {:?} to {:?}",
                            n.name, x.dims, dims
                        )));
                    }
                    Tensor::new(dims, x.data.clone())
                }
                Op::Conv {
                    kernel,
                    strides,
                    pads,
                } => {
                    let bias = if n.inputs.len() > 2 {
                        Some(get(2)?)
                    } else {
                        None
                    };
                    conv2d(get(0)?, get(1)?, bias, *kernel, *strides, *pads)
                        .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?
                }
                Op::Gemm {
                    alpha,
                    beta,
                    trans_a,
                    trans_b,
                } => {
                    let c = if n.inputs.len() > 2 {
                        Some(get(2)?)
                    } else {
                        None
                    };
                    gemm(get(0)?, get(1)?, c, *alpha, *beta, *trans_a, *trans_b)
                        .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?
                }
                Op::MatMul => gemm(get(0)?, get(1)?, None, 1.0, 0.0, false, false)
                    .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?,
                Op::Add => add(get(0)?, get(1)?)
                    .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?,
            };
            if let Some(name) = n.outputs.first() {
                env.insert(name.clone(), out);
            }
        }
        self.outputs
            .iter()
            .map(|o| {
                env.remove(o)
                    .map(|t| (o.clone(), t))
                    .ok_or_else(|| OnnxError::Eval(format!("output '{o}' was never computed")))
            })
            .collect()
    }

    /// The tutorial graph's `(key, x) → (key, score)` on one sample, by the graph's own input
    /// order (key first, then the spectrogram) and output order.
    pub fn judge(&self, key: f64, x: &[f32]) -> Result<(f64, f64), OnnxError> {
        if self.inputs.len() != 2 || self.outputs.len() != 2 {
            return Err(OnnxError::Eval(format!(
                "expected 2 inputs (key, spectrogram) and 2 outputs, found inputs {:?} and outputs {:?}",
                self.inputs.iter().map(|i| &i.0).collect::<Vec<_>>(),
                self.outputs
            )));
        }
        let xt = Tensor::new(
            vec![1, 1, INPUT_H, INPUT_W],
            x.iter().map(|&v| v as f64).collect(),
        );
        let kt = Tensor::new(vec![1, 1], vec![key]);
        let out = self.run(&[(&self.inputs[0].0, kt), (&self.inputs[1].0, xt)])?;
        Ok((out[&self.outputs[0]].data[0], out[&self.outputs[1]].data[0]))
    }
}

fn map(x: &Tensor, f: impl Fn(f64) -> f64) -> Tensor {
    Tensor::new(x.dims.clone(), x.data.iter().map(|&v| f(v)).collect())
}

fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    k: [usize; 2],
    s: [usize; 2],
    p: [usize; 4],
) -> Result<Tensor, String> {
    let [n, c, h, wd] = x.dims[..] else {
        return Err(format!(
            "Conv input must be 4-D [N,C,H,W], got {:?}",
            x.dims
        ));
    };
    let [m, wc, kh, kw] = w.dims[..] else {
        return Err(format!("Conv weight must be 4-D, got {:?}", w.dims));
    };
    if wc != c || [kh, kw] != k {
        return Err(format!(
            "weight {:?} does not fit input channels {c} and kernel {k:?}",
            w.dims
        ));
    }
    if let Some(b) = b.filter(|b| b.data.len() != m) {
        return Err(format!(
            "the bias {:?} does not give one value per output channel ({m})",
            b.dims
        ));
    }
    let (hp, wp) = (h + p[0] + p[2], wd + p[1] + p[3]);
    if hp < kh || wp < kw {
        return Err(format!(
            "input {h}×{wd} is smaller than the kernel {kh}×{kw}"
        ));
    }
    let (oh, ow) = ((hp - kh) / s[0] + 1, (wp - kw) / s[1] + 1);
    let mut out = vec![0.0; n * m * oh * ow];
    for bi in 0..n {
        for mi in 0..m {
            let bias = b.map(|b| b.data[mi]).unwrap_or(0.0);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias;
                    for ci in 0..c {
                        for ky in 0..kh {
                            let iy = (oy * s[0] + ky) as isize - p[0] as isize;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            for kx in 0..kw {
                                let ix = (ox * s[1] + kx) as isize - p[1] as isize;
                                if ix < 0 || ix >= wd as isize {
                                    continue;
                                }
                                acc += w.data[((mi * c + ci) * kh + ky) * kw + kx]
                                    * x.data[((bi * c + ci) * h + iy as usize) * wd + ix as usize];
                            }
                        }
                    }
                    out[((bi * m + mi) * oh + oy) * ow + ox] = acc;
                }
            }
        }
    }
    Ok(Tensor::new(vec![n, m, oh, ow], out))
}

fn gemm(
    a: &Tensor,
    b: &Tensor,
    c: Option<&Tensor>,
    alpha: f64,
    beta: f64,
    ta: bool,
    tb: bool,
) -> Result<Tensor, String> {
    if a.dims.len() != 2 || b.dims.len() != 2 {
        return Err(format!(
            "expects 2-D operands, got {:?} and {:?}",
            a.dims, b.dims
        ));
    }
    let (m, k) = if ta {
        (a.dims[1], a.dims[0])
    } else {
        (a.dims[0], a.dims[1])
    };
    let (k2, n) = if tb {
        (b.dims[1], b.dims[0])
    } else {
        (b.dims[0], b.dims[1])
    };
    if k != k2 {
        return Err(format!(
            "inner dimensions differ: {:?} × {:?}",
            a.dims, b.dims
        ));
    }
    let at = |i: usize, j: usize| {
        if ta {
            a.data[j * a.dims[1] + i]
        } else {
            a.data[i * a.dims[1] + j]
        }
    };
    let bt = |i: usize, j: usize| {
        if tb {
            b.data[j * b.dims[1] + i]
        } else {
            b.data[i * b.dims[1] + j]
        }
    };
    if let Some(c) = c.filter(|c| ![1, n, m * n].contains(&c.data.len())) {
        return Err(format!(
            "the bias {:?} does not broadcast to the {m}×{n} product",
            c.dims
        ));
    }
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k).map(|t| at(i, t) * bt(t, j)).sum();
            let bias = c
                .map(|c| match c.data.len() {
                    1 => c.data[0],
                    len if len == n => c.data[j],
                    _ => c.data[i * n + j],
                })
                .unwrap_or(0.0);
            out[i * n + j] = alpha * dot + beta * bias;
        }
    }
    Ok(Tensor::new(vec![m, n], out))
}

fn add(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    if a.data.len() == b.data.len() {
        return Ok(Tensor::new(
            a.dims.clone(),
            a.data.iter().zip(&b.data).map(|(x, y)| x + y).collect(),
        ));
    }
    let (big, small) = if a.data.len() >= b.data.len() {
        (a, b)
    } else {
        (b, a)
    };
    if small.data.is_empty() || big.data.len() % small.data.len() != 0 {
        return Err(format!("cannot broadcast {:?} and {:?}", a.dims, b.dims));
    }
    let s = small.data.len();
    Ok(Tensor::new(
        big.dims.clone(),
        big.data
            .iter()
            .enumerate()
            .map(|(i, v)| v + small.data[i % s])
            .collect(),
    ))
}
