using System.Diagnostics;
using System.Text.Json;
using Compliance.Generation.Frames;
using Compliance.Generation.Gates;
using Compliance.Generation.Soundtrack;
using Compliance.Policies.Model;

namespace Compliance.Generation.Tests;

/// <summary>
/// The decision log's payload is written from source-generated metadata (ADR-044); the chain hashes those bytes, so they
/// must be exactly what the reflection-based options wrote for every shape a decision takes.
/// </summary>
public sealed class DecisionJsonTests
{
    private static readonly Guid Tenant = Guid.Parse("0193a5f1-0000-7000-8000-000000000001");
    private static readonly EntityRef Character = new("character", Guid.Parse("0193a5f1-0000-7000-8000-0000000000c1"), "Captain Comet", Guid.Parse("0193a5f1-0000-7000-8000-0000000000d1"));

    public static TheoryData<string> Shapes() => [.. Views().Keys];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GeneratedPayloadIsTheReflectionPayloadByteForByte(string shape)
    {
        var view = Views()[shape];
        Assert.Equal(JsonSerializer.Serialize(view, JsonNames.Options), JsonSerializer.Serialize(view, DecisionJson.Default.DecisionView));
    }

    [Fact]
    public void TimingProbe()
    {
        var view = Views()["allow, no signal"];
        for (var round = 0; round < 3; round++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < 200_000; i++) { _ = JsonSerializer.Serialize(view, JsonNames.Options); }
            var reflection = sw.Elapsed.TotalNanoseconds / 200_000;
            sw.Restart();
            for (var i = 0; i < 200_000; i++) { _ = JsonSerializer.Serialize(view, DecisionJson.Default.DecisionView); }
            var generated = sw.Elapsed.TotalNanoseconds / 200_000;
            Console.WriteLine($"PROBE reflection {reflection:0} ns, generated {generated:0} ns, handler {DecisionJson.Default.DecisionView.SerializeHandler is not null}");
        }
    }

    private static Dictionary<string, DecisionView> Views()
    {
        var created = new DateTimeOffset(2026, 12, 1, 0, 30, 15, TimeSpan.Zero).AddTicks(1234560);
        var prompt = new DecisionInput("A slow dolly shot through a misty pine forest at dawn", new string('a', 64), "bench-user", []);
        var signal = new Signal("names-text", "names-3", SignalKinds.LicensedCharacter, Character, 0.93,
            new Evidence(MatchedText: "C4ptain C0met", Start: 0, Length: 13, Alias: "Captain Comet", MatchKind: "fuzzy:leet", EditDistance: 2));
        var fullEvidence = new Evidence("m", 1, 2, "a", "k", 3, "d", Guid.Parse("0193a5f1-0000-7000-8000-0000000000e1"), 4, 0.5, "v", 5, 6.25, [1, 2, 3, 4], 0.01, 0.99, 7.5, 1.0 / 3, 2e-7, 0.125, [5, 6, 7, 8], 42);
        var views = new Dictionary<string, DecisionView>
        {
            ["allow, no signal"] = View(Outcome.Allow, [], [], prompt, created),
            ["block with evidence and a grant fact"] = View(Outcome.Block,
                [new Reason("licensed-character-without-grant", "characters.policy.yaml", Outcome.Block, "'Captain Comet' is licensed; no grant for this tenant.", signal, new GrantFact(Character, GrantState.None))],
                [], prompt, created),
            ["allow with revenue share and obligations"] = View(Outcome.Allow,
                [new Reason("granted", "characters.policy.yaml", Outcome.Allow, "granted <with> & \"quotes\" + é ü 日本", signal with { Evidence = fullEvidence },
                    new GrantFact(Character, GrantState.AllowedWithRevenueShare, Guid.Parse("0193a5f1-0000-7000-8000-0000000000f1"), 1250, true, "detail"))],
                [new Obligation("record_usage", Character, 1250, "rev share"), new Obligation("attribution", null)], prompt with { Contexts = ["mature", "violence"] }, created)
                with { ObligationsIfReleased = [new Obligation("record_usage", Character)] },
            ["review, every grant state"] = View(Outcome.Review,
                [.. Enum.GetValues<GrantState>().Select(s => new Reason("r-" + s, "p", Outcome.Review, "m\n\t\\ \u0001 \ud83d\ude00", null, new GrantFact(Character, s)))],
                [], new DecisionInput("\u0000 lone \ud800 surrogate", null, null, []), created),
            ["video with coverage and soundtrack"] = View(Outcome.Review, [], [],
                new DecisionInput(null, null, "acct", ["general"])
                {
                    Media = new MediaInput(new string('b', 64), "video/mp4", 123_456_789, 1280, 720)
                    {
                        DurationSeconds = 10.0 / 3,
                        FramesScreened = 31,
                        SecondsCovered = 9.75,
                        LargestGapSeconds = 0.5,
                        UnscreenedSpans = [.. Enum.GetValues<UnscreenedReason>().Select(r => new UnscreenedSpan(1.5, 2.25, r, "why " + r))],
                        Presence = [new EntityPresence("character", Character.Id, 12, 0.1, 9.9, 4.4)],
                        Soundtrack = new SoundtrackReport(SoundtrackStatus.Screened, "heard")
                        {
                            FingerprintSha256 = new string('c', 64),
                            DurationSeconds = 9.99,
                            Matches = [new SoundtrackMatch(Guid.Parse("0193a5f1-0000-7000-8000-0000000000b1"), "Song", null, Guid.Parse("0193a5f1-0000-7000-8000-0000000000b2"), 0.87, 0.12, 1.1, 4.4449, 0, 3.3)],
                        },
                    },
                }, created),
        };
        foreach (var status in Enum.GetValues<SoundtrackStatus>())
        {
            views["soundtrack " + status] = View(Outcome.Allow, [], [],
                new DecisionInput(null, null, null, []) { Media = new MediaInput("s", "video/webm", 1, 2, 3) { Soundtrack = new SoundtrackReport(status, "d") } }, created);
        }

        return views;
    }

    private static DecisionView View(Outcome outcome, IReadOnlyList<Reason> reasons, IReadOnlyList<Obligation> obligations, DecisionInput input, DateTimeOffset created) =>
        new(Guid.Parse("0193a5f1-0000-7000-8000-0000000000a1"), null, Tenant, "prompt", outcome, new string('f', 64), created, reasons, obligations, input);
}
