using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Embedding;

// int8 ResNet18 probe (ADR-045). Usage: q <resnet18.onnx> <preprocess.onnx> <test-images> <calib-extra> <reps> <variant>...
// variant: "cal=max|p99.99|p99.999|p99.9999|kl;fp32=<conv indices, comma>;add=0|1;wout=1"
var (modelPath, prePath, images, extra, reps) = (args[0], args[1], args[2], args[3], int.Parse(args[4]));
var variants = args.Skip(5).ToArray();
var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
var g = model.Graph;
var inits = g.Initializer.ToDictionary(i => i.Name);
float[] F(TensorProto t) => t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
TensorProto T(string name, TensorProto.Types.DataType type, long[] dims, byte[] raw) { var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) }; t.Dims.AddRange(dims); return t; }
NodeProto N(string op, string name, string[] i, string[] o) { var n = new NodeProto { OpType = op, Name = name }; n.Input.AddRange(i); n.Output.AddRange(o); return n; }
byte[] B<TT>(TT[] f) where TT : struct => MemoryMarshal.AsBytes(f.AsSpan()).ToArray();

// Fold batch norms into the preceding convolutions.
var byOutput = g.Node.ToDictionary(n => n.Output[0]); var removed = new HashSet<NodeProto>();
foreach (var bn in g.Node.Where(n => n.OpType == "BatchNormalization").ToList()) {
  var conv = byOutput[bn.Input[0]]; if (conv.OpType != "Conv") throw new Exception("BN after " + conv.OpType);
  var w = inits[conv.Input[1]]; var wv = F(w); var m = (int)w.Dims[0]; var per = wv.Length / m;
  var gamma = F(inits[bn.Input[1]]); var beta = F(inits[bn.Input[2]]); var mean = F(inits[bn.Input[3]]); var vr = F(inits[bn.Input[4]]);
  var eps = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
  var b = conv.Input.Count > 2 ? F(inits[conv.Input[2]]) : new float[m];
  for (int c = 0; c < m; c++) { var s = gamma[c] / MathF.Sqrt(vr[c] + eps); for (int i = 0; i < per; i++) wv[c * per + i] *= s; b[c] = (b[c] - mean[c]) * s + beta[c]; }
  var nw = T(conv.Name + "_Wf", TensorProto.Types.DataType.Float, w.Dims.ToArray(), B(wv)); g.Initializer.Add(nw); inits[nw.Name] = nw;
  var nb = T(conv.Name + "_Bf", TensorProto.Types.DataType.Float, [m], B(b)); g.Initializer.Add(nb); inits[nb.Name] = nb;
  conv.Input[1] = nw.Name; if (conv.Input.Count > 2) conv.Input[2] = nb.Name; else conv.Input.Add(nb.Name);
  conv.Output[0] = bn.Output[0]; removed.Add(bn);
}
{ var kept = g.Node.Where(n => !removed.Contains(n)).ToList(); g.Node.Clear(); g.Node.AddRange(kept); }
{ var used = g.Node.SelectMany(n => n.Input).ToHashSet(); foreach (var u in g.Initializer.Where(i => !used.Contains(i.Name)).ToList()) { g.Initializer.Remove(u); inits.Remove(u.Name); }
  var names = g.Initializer.Select(i => i.Name).ToHashSet(); var ins = g.Input.Where(i => !names.Contains(i.Name)).ToList(); g.Input.Clear(); g.Input.AddRange(ins);
  model.IrVersion = 7; foreach (var o in model.OpsetImport) if (o.Domain == "") o.Version = 13; }
var inputName = g.Input[0].Name; var outputName = g.Output[0].Name;
var floatBytes = model.ToByteArray();
var convs = g.Node.Where(n => n.OpType == "Conv").ToList();
var prodOf = g.Node.ToDictionary(n => n.Output[0]);
var consOf = g.Node.SelectMany(n => n.Input.Select(i => (i, n))).GroupBy(x => x.i).ToDictionary(x => x.Key, x => x.Select(y => y.n).ToList());
if (variants.Contains("dump")) {
  foreach (var n in g.Node) Console.WriteLine($"{n.OpType,-12} {n.Name,-30} in=[{string.Join(",", n.Input.Where(i => !inits.ContainsKey(i)))}] out={n.Output[0]}" + (n.OpType == "Conv" ? $" conv#{convs.IndexOf(n)} w={string.Join("x", inits[n.Input[1]].Dims)}" : ""));
  return;
}

// Activation tensors that a quantised op may read: graph input and every node output except the graph output.
var acts = new List<string> { inputName }; acts.AddRange(g.Node.Select(n => n.Output[0]).Where(o => o != outputName));
var calib = ModelProto.Parser.ParseFrom(floatBytes);
foreach (var t in acts.Skip(1)) calib.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
using var so = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
using var pre = new InferenceSession(prePath, so);
using var cal = new InferenceSession(calib.ToByteArray(), so);
var dec = new SafeImageDecoder();
var all = Directory.EnumerateFiles(images, "*.*", SearchOption.AllDirectories).Where(p => p.EndsWith(".png") || p.EndsWith(".jpg")).Order().ToList();
var calFiles = all.Where(f => !f.Contains("/heldout/")).Concat(Directory.EnumerateFiles(extra, "*.png").Order()).ToList();
float[] Prep(float[] planes) { using var r = pre.Run([NamedOnnxValue.CreateFromTensor("OriginalInput", new DenseTensor<float>(planes, [1, 3, 224, 224]))]); return r.First().AsTensor<float>().ToArray(); }
float[] Planes(DecodedImage im) { var p = new float[3 * 224 * 224]; Acc.Fill(null, im, p); return p; }
float[] Turn(float[] p, int t) { var d = new float[p.Length]; Acc.Dihedral(null, p, d, t); return d; }
float[] Grey(float[] p) { var d = new float[p.Length]; const int L = 224 * 224; for (int i = 0; i < L; i++) { var y = 0.299f * p[i] + 0.587f * p[L + i] + 0.114f * p[2 * L + i]; d[i] = d[L + i] = d[2 * L + i] = MathF.Round(y); } return d; }
var samples = acts.ToDictionary(t => t, _ => new List<float>());
var lo = acts.ToDictionary(t => t, _ => float.MaxValue); var hi = acts.ToDictionary(t => t, _ => float.MinValue);
int nc = 0; var rnd = new Random(3);
void Observe(string t, ReadOnlySpan<float> a) { var s = samples[t]; for (int i = rnd.Next(13); i < a.Length; i += 13) s.Add(a[i]); foreach (var v in a) { if (v < lo[t]) lo[t] = v; if (v > hi[t]) hi[t] = v; } }
foreach (var f in calFiles) { DecodedImage im; try { im = dec.DecodeFile(f); } catch (ImageRejectedException) { continue; }
  var p0 = Planes(im);
  foreach (var p in new[] { p0, Turn(p0, 4), Turn(p0, 1), Grey(p0) }) { var x = Prep(p); nc++; Observe(inputName, x);
    using var r = cal.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(x, [1, 3, 224, 224]))]);
    foreach (var v in r) if (samples.ContainsKey(v.Name)) Observe(v.Name, v.AsTensor<float>().ToArray()); } }
Console.WriteLine($"calibrated on {nc} inputs from {calFiles.Count} files (test-images without heldout/, plus {extra})");
var sorted = samples.ToDictionary(kv => kv.Key, kv => { var a = kv.Value.ToArray(); Array.Sort(a); return a; });
(float Lo, float Hi) Range(string t, string method) {
  if (method == "max") return (Math.Min(0, lo[t]), Math.Max(0, hi[t]));
  var a = sorted[t];
  if (method == "kl") return Kl(a, lo[t], hi[t]);
  var p = double.Parse(method[1..]) / 100; var qlo = a[(int)((1 - p) * (a.Length - 1))]; var qhi = a[(int)(p * (a.Length - 1))];
  return (Math.Min(0, qlo), Math.Max(0, qhi)); }
static (float, float) Kl(float[] a, float lo, float hi) {
  // Entropy (KL) calibration over |x| for non-negative tensors; symmetric ranges otherwise use the same on |x|.
  var nonneg = lo >= 0; var absmax = Math.Max(Math.Abs(lo), Math.Abs(hi)); const int bins = 2048; var h = new double[bins];
  foreach (var v in a) { var b = (int)(Math.Abs(v) / absmax * (bins - 1)); h[b]++; }
  int levels = nonneg ? 256 : 128; double best = double.MaxValue; int bestI = bins;
  for (int i = levels; i <= bins; i += 16) {
    var p = h.Take(i).ToArray(); p[i - 1] += h.Skip(i).Sum(); var q = new double[i]; var per = (double)i / levels;
    for (int j = 0; j < levels; j++) { int s = (int)(j * per), e = (int)((j + 1) * per); if (j == levels - 1) e = i; var nz = 0; double sum = 0; for (int k = s; k < e; k++) { sum += h[k]; if (h[k] > 0) nz++; } if (j == levels - 1) sum = p.Skip(s).Take(e - s).Sum(); for (int k = s; k < e; k++) q[k] = (nz > 0 && p[k] > 0) ? sum / nz : 0; }
    double ps = p.Sum(), qs = q.Sum(), kl = 0; for (int k = 0; k < i; k++) if (p[k] > 0) kl += p[k] / ps * Math.Log((p[k] / ps) / Math.Max(q[k] / qs, 1e-12));
    if (kl < best) { best = kl; bestI = i; } }
  var th = (float)(bestI / (double)bins * absmax); return nonneg ? (0f, th) : (-th, th); }

byte[] Build(string variant, out string summary) {
  var opts = variant.Split(';').Select(s => s.Split('=')).ToDictionary(s => s[0], s => s.Length > 1 ? s[1] : "");
  var method = opts.GetValueOrDefault("cal", "max");
  var fp32 = opts.GetValueOrDefault("fp32", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
  if (opts.TryGetValue("only", out var only)) { var keep = only.Split(',').Select(int.Parse).ToHashSet(); fp32 = Enumerable.Range(0, 22).Where(i => !keep.Contains(i)).ToHashSet(); }
  var quantAdd = opts.GetValueOrDefault("add", "1") == "1";
  var qm = ModelProto.Parser.ParseFrom(floatBytes); var qg = qm.Graph; var qi = qg.Initializer.ToDictionary(i => i.Name);
  var qconvs = qg.Node.Where(n => n.OpType == "Conv").ToList();
  var quantOps = new HashSet<string>(qconvs.Where((n, i) => !fp32.Contains(i)).Select(n => n.Name));
  if (quantAdd) foreach (var n in qg.Node.Where(n => n.OpType == "Add")) quantOps.Add(n.Name);
  foreach (var n in qg.Node.Where(n => n.OpType == "MaxPool")) if (quantOps.Contains(consOf[n.Output[0]][0].Name)) quantOps.Add(n.Name);
  var prod = qg.Node.ToDictionary(n => n.Output[0]); var cons = qg.Node.SelectMany(n => n.Input.Select(i => (i, n))).GroupBy(x => x.i).ToDictionary(x => x.Key, x => x.Select(y => y.n).ToList());
  // A tensor is quantised when a quantised op reads it, or when it is a quantised op's output (through a Relu that
  // is its only consumer: ORT fuses Conv+Relu+Q).
  bool QuantProducer(string t) { if (!prod.TryGetValue(t, out var p)) return false; if (quantOps.Contains(p.Name)) return !(cons.TryGetValue(t, out var c) && c.All(x => x.OpType == "Relu")); if (p.OpType == "Relu") { var src = prod.GetValueOrDefault(p.Input[0]); return src != null && quantOps.Contains(src.Name) && cons[p.Input[0]].Count == 1; } return false; }
  var quantT = new HashSet<string>();
  foreach (var n in qg.Node) { if (quantOps.Contains(n.Name)) quantT.Add(n.Input[0]); if (quantOps.Contains(n.Name) && n.OpType == "Add") quantT.Add(n.Input[1]); }
  foreach (var t in acts) if (t != outputName && QuantProducer(t)) quantT.Add(t);
  // A tensor consumed only by Relu: quantise the Relu's output instead.
  foreach (var t in quantT.ToList()) if (t != inputName && cons.TryGetValue(t, out var c) && c.All(x => x.OpType == "Relu") && !quantOps.Contains(prod[t].Name) is false) { }
  var scale = new Dictionary<string, float>(); var newNodes = new List<NodeProto>();
  void AddQ(string t) { var (l, h) = Range(t, method); var s = (h - l) / 255f; if (s == 0) s = 1; var zp = (byte)Math.Clamp(MathF.Round(-l / s), 0, 255); scale[t] = s;
    qg.Initializer.Add(T(t + "_s", TensorProto.Types.DataType.Float, [], B(new[] { s }))); qg.Initializer.Add(T(t + "_zp", TensorProto.Types.DataType.Uint8, [], [zp]));
    newNodes.Add(N("QuantizeLinear", t + "_Q", [t, t + "_s", t + "_zp"], [t + "_q"])); newNodes.Add(N("DequantizeLinear", t + "_DQ", [t + "_q", t + "_s", t + "_zp"], [t + "_dq"])); }
  if (quantT.Contains(inputName)) AddQ(inputName);
  int qc = 0;
  foreach (var n in qg.Node) {
    bool nq = quantOps.Contains(n.Name);
    for (int i = 0; i < n.Input.Count; i++) { var t = n.Input[i]; if (!quantT.Contains(t)) continue; if (nq || QuantProducer(t)) n.Input[i] = t + "_dq"; }
    if (n.OpType == "Conv" && nq) { qc++; var w = qi[n.Input[1]]; var wv = F(w); var m = (int)w.Dims[0]; var per = wv.Length / m; var qw = new byte[wv.Length]; var sc = new float[m];
      for (int c = 0; c < m; c++) { float mx = 0; for (int i = 0; i < per; i++) mx = MathF.Max(mx, MathF.Abs(wv[c * per + i])); var s = mx == 0 ? 1 : mx / 127; sc[c] = s; for (int i = 0; i < per; i++) qw[c * per + i] = unchecked((byte)(sbyte)Math.Clamp(MathF.Round(wv[c * per + i] / s), -127, 127)); }
      var nm = n.Name; qg.Initializer.Add(T(nm + "_Wq", TensorProto.Types.DataType.Int8, w.Dims.ToArray(), qw)); qg.Initializer.Add(T(nm + "_Ws", TensorProto.Types.DataType.Float, [m], B(sc))); qg.Initializer.Add(T(nm + "_Wzp", TensorProto.Types.DataType.Int8, [m], new byte[m]));
      var dqw = N("DequantizeLinear", nm + "_DQW", [nm + "_Wq", nm + "_Ws", nm + "_Wzp"], [nm + "_Wdq"]); dqw.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 }); newNodes.Add(dqw);
      var xs = scale[n.Input[0][..^3]]; var bias = F(qi[n.Input[2]]); var bq = new int[m]; var bs = new float[m];
      for (int c = 0; c < m; c++) { bs[c] = xs * sc[c]; bq[c] = (int)MathF.Round(bias[c] / bs[c]); }
      qg.Initializer.Add(T(nm + "_Bq", TensorProto.Types.DataType.Int32, [m], B(bq))); qg.Initializer.Add(T(nm + "_Bs", TensorProto.Types.DataType.Float, [m], B(bs))); qg.Initializer.Add(T(nm + "_Bzp", TensorProto.Types.DataType.Int32, [m], B(new int[m])));
      var dqb = N("DequantizeLinear", nm + "_DQB", [nm + "_Bq", nm + "_Bs", nm + "_Bzp"], [nm + "_Bdq"]); dqb.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 }); newNodes.Add(dqb);
      n.Input[1] = nm + "_Wdq"; n.Input[2] = nm + "_Bdq"; }
    newNodes.Add(n);
    if (quantT.Contains(n.Output[0])) AddQ(n.Output[0]);
  }
  qg.Node.Clear(); qg.Node.AddRange(newNodes);
  { var used = qg.Node.SelectMany(n => n.Input).ToHashSet(); foreach (var u in qg.Initializer.Where(i => !used.Contains(i.Name)).ToList()) qg.Initializer.Remove(u); }
  if (opts.TryGetValue("table", out var tablePath)) File.WriteAllLines(tablePath, acts.Where(quantT.Contains).Select(t => { var (l, h) = Range(t, method); return $"{t}\t{l:R}\t{h:R}"; }));
  summary = $"{qc} of {qconvs.Count} convs int8, fp32 convs: [{string.Join(",", qconvs.Where((n, i) => fp32.Contains(i)).Select(n => n.Name))}], {quantT.Count} tensors QDQ";
  return qm.ToByteArray();
}

// Embeddings of every test image through the original fp32 model (the reference) and the folded fp32 model.
var evalInputs = new List<(string Name, float[] X)>();
foreach (var f in all) { DecodedImage im; try { im = dec.DecodeFile(f); } catch (ImageRejectedException) { continue; } evalInputs.Add((Path.GetRelativePath(images, f), Prep(Planes(im)))); }
float[] Run(InferenceSession s, float[] x) { using var r = s.Run([NamedOnnxValue.CreateFromTensor(s.InputMetadata.Keys.First(), new DenseTensor<float>(x, [1, 3, 224, 224]))]); return r.First().AsTensor<float>().ToArray(); }
InferenceSession Open(byte[] bytes, string? optimizedPath = null) { var o = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL }; if (optimizedPath != null) o.OptimizedModelFilePath = optimizedPath; return new InferenceSession(bytes, o); }
using var orig = Open(File.ReadAllBytes(modelPath));
var reference = evalInputs.Select(e => Run(orig, e.X)).ToList();
double Cpu(InferenceSession s, int n) { var x = evalInputs[0].X; for (int i = 0; i < 2; i++) Run(s, x); var t = ThreadCpu(); for (int i = 0; i < n; i++) Run(s, evalInputs[i % evalInputs.Count].X); return (ThreadCpu() - t) / n; }
Console.WriteLine($"{evalInputs.Count} test images");
foreach (var v in variants) {
  var bytes = Build(v, out var summary);
  var opt = $"/tmp/frames3-probe/opt-{Math.Abs(v.GetHashCode())}.onnx";
  using var qs = Open(bytes, opt);
  var optNodes = ModelProto.Parser.ParseFrom(File.ReadAllBytes(opt)).Graph.Node.GroupBy(n => n.OpType).Select(x => $"{x.Key}={x.Count()}");
  var cos = evalInputs.Select((e, i) => (e.Name, C: VisualEmbedder.Cosine(reference[i], Run(qs, e.X)))).ToList();
  double tq = 0, tf = 0; var ratios = new List<double>(); for (int r = 0; r < 3; r++) { var a = Cpu(orig, reps); var b = Cpu(qs, reps); tf += a; tq += b; ratios.Add(a / b); }
  var held = cos.Where(c => c.Name.StartsWith("heldout/")).ToList();
  Console.WriteLine($"\n[{v}] {summary}\n  optimised graph: {string.Join(" ", optNodes)}");
  Console.WriteLine($"  int8 {tq / 3:0.0} ms CPU, fp32 {tf / 3:0.0} ms (ratios {string.Join(" ", ratios.Select(r => r.ToString("0.00")))}); cosine mean {cos.Average(c => c.C):0.0000} min {cos.Min(c => c.C):0.0000} ({cos.MinBy(c => c.C).Name}); below 0.99: {cos.Count(c => c.C < 0.99)}; held-out min {held.Min(c => c.C):0.0000}");
  Console.WriteLine("  worst: " + string.Join(", ", cos.OrderBy(c => c.C).Take(5).Select(c => $"{c.Name} {c.C:0.0000}")));
  if (opts(v).ContainsKey("save")) File.WriteAllBytes(opts(v)["save"], bytes);
}
static Dictionary<string, string> opts(string v) => v.Split(';').Select(s => s.Split('=')).ToDictionary(s => s[0], s => s.Length > 1 ? s[1] : "");
static double ThreadCpu() { Span<long> ts = stackalloc long[2]; Native.clock_gettime(3, ref MemoryMarshal.GetReference(ts)); return ts[0] * 1e3 + ts[1] / 1e6; }

static class Acc {
  [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "FillRgbPlanes")] public static extern void Fill(VisualEmbedder? self, DecodedImage image, Span<float> planes);
  [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "ApplyDihedral")] public static extern void Dihedral(VisualEmbedder? self, ReadOnlySpan<float> s, Span<float> d, int t);
}
static class Native { [DllImport("libc")] public static extern int clock_gettime(int clk, ref long ts); }
