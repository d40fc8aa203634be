using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Compliance.Faces.Tests;

/// <summary>
/// Measures the genuine (same person, edited copies) and impostor (different people) cosine distributions on the
/// test photos — the figures behind docs/likeness.md — and checks the published thresholds still separate them.
/// </summary>
[Collection(FaceCollection.Name)]
public sealed class CalibrationTests(FaceFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void ThresholdsSeparateMeasuredGenuineAndImpostorSimilarities()
    {
        var embeddings = new Dictionary<TestPerson, List<(string Source, float[] Embedding)>>();
        var genuine = new List<(TestPerson Person, string Transform, float Cosine)>();
        var missed = new List<string>();
        foreach (var person in TestPeople.All)
        {
            using var photo = TestPeople.Photo(fixture, person);
            var enrolled = TestPeople.MainFace(fixture.Analyze(PhotoTransforms.Png(photo)))
                ?? throw new InvalidOperationException($"No face found for {person}.");
            embeddings[person] = [("original", enrolled.EmbeddingCopy())];
            foreach (var transform in PhotoTransforms.All)
            {
                var face = TestPeople.MainFace(fixture.Analyze(transform.Apply(photo)));
                if (face is null)
                {
                    missed.Add($"{person} / {transform}");
                    continue;
                }

                embeddings[person].Add((transform.Name, face.EmbeddingCopy()));
                genuine.Add((person, transform.Name, FaceVectors.Cosine(enrolled.Embedding, face.Embedding)));
            }
        }

        var impostor = new List<float>();
        var people = TestPeople.All;
        for (var a = 0; a < people.Count; a++)
        {
            for (var b = a + 1; b < people.Count; b++)
            {
                foreach (var x in embeddings[people[a]])
                {
                    foreach (var y in embeddings[people[b]])
                    {
                        impostor.Add(FaceVectors.Cosine(x.Embedding, y.Embedding));
                    }
                }
            }
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"missed detections: {missed.Count} {string.Join("; ", missed)}");
        foreach (var g in genuine.OrderBy(g => g.Cosine))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"genuine {g.Cosine:0.000} {g.Person} / {g.Transform}");
        }

        report.AppendLine(Summary("genuine", genuine.Select(g => g.Cosine).ToList()));
        report.AppendLine(Summary("impostor", impostor));
        output.WriteLine(report.ToString());

        Assert.All(genuine, g => Assert.True(
            g.Cosine >= FaceMatchThresholds.ReviewFrom,
            $"{g.Person} / {g.Transform}: cosine {g.Cosine:0.000} is below ReviewFrom {FaceMatchThresholds.ReviewFrom}"));
        Assert.All(impostor, c => Assert.True(c < FaceMatchThresholds.ReviewFrom, $"an impostor pair scored {c:0.000}, at or above ReviewFrom"));
    }

    private static string Summary(string name, List<float> values)
    {
        values.Sort();
        float Quantile(double q) => values[(int)Math.Round(q * (values.Count - 1))];
        var histogram = new int[20];
        foreach (var v in values)
        {
            histogram[Math.Clamp((int)MathF.Floor((v + 1) * 10), 0, 19)]++;
        }

        var bins = string.Join(" ", Enumerable.Range(0, 20).Where(i => histogram[i] > 0)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"[{(i / 10.0) - 1:0.0},{((i + 1) / 10.0) - 1:0.0}):{histogram[i]}")));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{name}: n={values.Count} min={values[0]:0.000} p05={Quantile(0.05):0.000} median={Quantile(0.5):0.000} mean={values.Average():0.000} p95={Quantile(0.95):0.000} max={values[^1]:0.000} | {bins}");
    }
}
