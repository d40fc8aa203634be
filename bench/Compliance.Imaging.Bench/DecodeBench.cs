using System.Diagnostics;
using System.Globalization;
using Compliance.Imaging.Decoding;
using Compliance.Imaging.Pdq;
using NetVips;
using SkiaSharp;

namespace Compliance.Imaging.Bench;

/// <summary>
/// SkiaSharp (<see cref="SafeImageDecoder"/>) against libvips (<see cref="PdqFileHasher"/>) on the same files, in one
/// process, interleaved: decode and hash CPU time (the process's, per file), whether the pixels and hashes are identical; then shrink-on-load
/// (libvips' JPEG DCT scaling) on a large JPEG, with how far it moves the hash.
/// </summary>
internal static class DecodeBench
{
    public static void Run(int iterations)
    {
        var folder = SharedFolder.Find();
        var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        var skia = new SafeImageDecoder();
        var vips = new PdqFileHasher(skia);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{"file",-30} {"size",-10} {"skia CPU ms",11} {"vips CPU ms",11} {"skia/vips",9} {"hash ms",8} pixels    hash");
        double skiaTotal = 0, vipsTotal = 0, hashTotal = 0;
        foreach (var file in files)
        {
            var s = skia.DecodeFile(file);
            var v = vips.Decode(file, includePng: true) ?? throw new InvalidOperationException($"{file} did not take the libvips path.");
            var samePixels = SamePixels(s, v);
            var sameHash = PdqHasher.Hash(s).Hash == PdqHasher.Hash(v).Hash;
            double skiaMs = 0, vipsMs = 0, hashMs = 0;
            for (var i = 0; i < iterations; i++)
            {
                var start = CpuMs();
                _ = skia.DecodeFile(file);
                skiaMs += CpuMs() - start;
                start = CpuMs();
                var decoded = vips.Decode(file, includePng: true)!;
                vipsMs += CpuMs() - start;
                start = CpuMs();
                _ = PdqHasher.Hash(decoded);
                hashMs += CpuMs() - start;
            }

            skiaTotal += skiaMs;
            vipsTotal += vipsMs;
            hashTotal += hashMs;
            Console.WriteLine(string.Create(inv, $"{Path.GetFileName(file),-30} {$"{s.Width}x{s.Height}",-10} {skiaMs / iterations,11:F2} {vipsMs / iterations,11:F2} {skiaMs / vipsMs,9:F2} {hashMs / iterations,8:F2} {(samePixels ? "same" : "DIFFER"),-9} {(sameHash ? "same" : "DIFFER")}"));
        }

        Console.WriteLine(string.Create(inv, $"all {files.Length} files: decode skia {skiaTotal / iterations:F1} ms, vips {vipsTotal / iterations:F1} ms (skia/vips {skiaTotal / vipsTotal:F2}); hash {hashTotal / iterations:F1} ms"));
        ShrinkOnLoad(folder, iterations);
    }

    // PDQ samples a 512×512 nearest-neighbour grid from the full-size pixels; shrink-on-load gives libjpeg's DCT-scaled
    // pixels instead, so the hash moves. How much, and what it saves, on a 3000×1885 JPEG (q90) of the bridge photo.
    private static void ShrinkOnLoad(string folder, int iterations)
    {
        using var source = SKBitmap.Decode(Path.Combine(folder, "bridge-1-original.png"));
        using var large = source.Resize(new SKImageInfo(3000, 1885, SKColorType.Rgba8888, SKAlphaType.Opaque), new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var image = SKImage.FromBitmap(large);
        var path = Path.Combine(Path.GetTempPath(), $"pdq-shrink-{Environment.ProcessId}.jpg");
        File.WriteAllBytes(path, image.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray());
        try
        {
            var full = PdqHasher.Hash(new SafeImageDecoder().DecodeFile(path)).Hash;
            Console.WriteLine("shrink-on-load, 3000x1885 JPEG q90 (hash distance to the full-size decode's hash):");
            foreach (var shrink in new[] { 1, 2, 4 })
            {
                PdqResult result = default;
                var start = CpuMs();
                for (var i = 0; i < iterations; i++)
                {
                    using var decoded = Image.Jpegload(path, shrink: shrink, access: Enums.Access.Sequential, failOn: Enums.FailOn.Error);
                    var pixels = decoded.WriteToMemory<byte>();
                    result = PdqHasher.Hash(pixels, decoded.Width, decoded.Height, decoded.Width * decoded.Bands, PdqPixelFormat.Rgb888);
                }

                var ms = (CpuMs() - start) / iterations;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  shrink {shrink}: {3000 / shrink}x{1885 / shrink}  decode+hash {ms:F1} ms  distance {result.Hash.HammingDistance(full)} bits"));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    // CPU time of this process (every thread, libvips' included): on a shared machine wall time measures the neighbours.
    private static double CpuMs()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalMilliseconds;
    }

    private static bool SamePixels(DecodedImage skia, DecodedImage vips)
    {
        if (skia.Width != vips.Width || skia.Height != vips.Height)
        {
            return false;
        }

        var (sb, vb) = (PdqHasher.BytesPerPixel(skia.Format), PdqHasher.BytesPerPixel(vips.Format));
        var channels = Math.Min(3, Math.Min(sb, vb));
        var sp = skia.Pixels.Span;
        var vp = vips.Pixels.Span;
        for (var y = 0; y < skia.Height; y++)
        {
            for (var x = 0; x < skia.Width; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    if (sp[(y * skia.RowBytes) + (x * sb) + c] != vp[(y * vips.RowBytes) + (x * vb) + c])
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }
}
