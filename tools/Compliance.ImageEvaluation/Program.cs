using Compliance.ImageEvaluation;

// The image half of issue 10's evaluation (docs/evaluation.md): recall per transform on held-out and tuning
// references, false matches, the margins of each signal, and time per query.
//   dotnet run -c Release --project tools/Compliance.ImageEvaluation [-- --distractors 968]
// --distractors N grows the local-feature bank with N references no query contains (ADR-025: indexed against exact search).
var distractors = args is ["--distractors", var n] && int.TryParse(n, out var parsed) && parsed >= 0 ? parsed
    : args.Length == 0 ? 0
    : throw new ArgumentException("usage: [--distractors N]");
using var evaluation = new ImageMatchingEvaluation(distractors);
Console.WriteLine(Report.Write(evaluation));
