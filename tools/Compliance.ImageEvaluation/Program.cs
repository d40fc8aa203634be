using Compliance.ImageEvaluation;

// The image half of issue 10's evaluation (docs/evaluation.md): recall per transform on held-out and tuning
// references, false matches, the margins of each signal, and time per query.
//   dotnet run -c Release --project tools/Compliance.ImageEvaluation
using var evaluation = new ImageMatchingEvaluation();
Console.WriteLine(Report.Write(evaluation));
