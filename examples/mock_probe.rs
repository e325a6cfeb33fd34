use cryptoidol::circuit::*;
use cryptoidol::model::Judge;
use cryptoidol::onnx::{self, OnnxGraph};
use cryptoidol::quantize::*;
use halo2_proofs::dev::MockProver;
fn main() {
    let judge = Judge::new(3).unwrap();
    let g = OnnxGraph::from_bytes(&onnx::export_bytes(&judge.weights().unwrap()), "m".into()).unwrap();
    let f = FloatJudge::from_graph(&g).unwrap();
    let scales = Scales { input: 8, conv: 16, linear: 21, sigmoid_grid: 9, sigmoid_range_log2: 3, output: 16, limb: 12, conv_limbs: 3 };
    let q = QuantizedJudge::new(&f, &scales);
    let x: Vec<f32> = (0..16640).map(|i| -80.0 * (((i * 7919) % 1000) as f32 / 1000.0)).collect();
    let t = q.forward_int(&x, 0).unwrap();
    println!("float {:.6} int {:.6} idx {}", f.score(&x), t.score(&scales), t.idx);
    let c = JudgeCircuit::new(&q, t, halo2_proofs::halo2curves::bn256::Fr::from(42));
    println!("k {} rows {} table {}", c.shape.min_k(), c.shape.witness_rows(), c.shape.table_rows());
    let t0 = std::time::Instant::now();
    let inst = c.instances();
    let p = MockProver::run(c.shape.min_k(), &c, vec![inst]).unwrap();
    println!("mock run {:?}", t0.elapsed());
    let r = p.verify();
    println!("verify {:?} {:?}", r.as_ref().map_err(|e| e.len()), t0.elapsed());
    if let Err(e) = r { for f in e.iter().take(3) { println!("{f}"); } }
    use halo2_proofs::{plonk::*, poly::kzg::{commitment::{KZGCommitmentScheme, ParamsKZG}, multiopen::{ProverSHPLONK, VerifierSHPLONK}, strategy::SingleStrategy}, transcript::*, halo2curves::bn256::{Bn256, G1Affine, Fr}};
    use rand::SeedableRng;
    let t0 = std::time::Instant::now();
    let params = ParamsKZG::<Bn256>::setup(14, rand_chacha::ChaCha20Rng::seed_from_u64(1));
    println!("srs {:?}", t0.elapsed());
    let t0 = std::time::Instant::now();
    let vk = keygen_vk_custom(&params, &c.without_witnesses(), true).unwrap();
    let pk = keygen_pk(&params, vk, &c.without_witnesses()).unwrap();
    println!("setup {:?}", t0.elapsed());
    let inst = c.instances();
    let t0 = std::time::Instant::now();
    let mut tr = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, Challenge255<G1Affine>, _, Blake2bWrite<Vec<u8>, G1Affine, Challenge255<G1Affine>>, _>(&params, &pk, &[c.clone()], &[&[&inst]], rand_chacha::ChaCha20Rng::seed_from_u64(2), &mut tr).unwrap();
    let proof = tr.finalize();
    println!("prove {:?} size {}", t0.elapsed(), proof.len());
    let t0 = std::time::Instant::now();
    let mut tr = Blake2bRead::<_, _, Challenge255<_>>::init(&proof[..]);
    let ok = verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, Challenge255<G1Affine>, Blake2bRead<&[u8], G1Affine, Challenge255<G1Affine>>, SingleStrategy<'_, Bn256>>(&params, pk.get_vk(), SingleStrategy::new(&params), &[&[&inst]], &mut tr);
    println!("verify {:?} {:?}", ok, t0.elapsed());
    let bad = vec![inst[0], inst[1] + Fr::one()];
    let mut tr = Blake2bRead::<_, _, Challenge255<_>>::init(&proof[..]);
    let ok = verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, Challenge255<G1Affine>, Blake2bRead<&[u8], G1Affine, Challenge255<G1Affine>>, SingleStrategy<'_, Bn256>>(&params, pk.get_vk(), SingleStrategy::new(&params), &[&[&bad]], &mut tr);
    println!("verify tampered {:?}", ok.is_ok());
    let mut buf = vec![]; pk.write(&mut buf, halo2_proofs::SerdeFormat::RawBytes).unwrap();
    println!("pk bytes {}", buf.len());
    println!("cs degree {} blinding {} fixed {} advice {}", pk.get_vk().cs().degree(), pk.get_vk().cs().blinding_factors(), pk.get_vk().cs().num_fixed_columns(), pk.get_vk().cs().num_advice_columns());
}
#[allow(dead_code)]
fn unused() {}
