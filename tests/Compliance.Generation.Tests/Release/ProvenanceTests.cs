using System.Formats.Cbor;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Text;
using Compliance.Generation.Generators;
using Compliance.Generation.Release;

namespace Compliance.Generation.Tests.Release;

public sealed class ProvenanceTests : IDisposable
{
    private const string Prompt = "Nebula Knight rides through a storm of stars. Ada Quill waves.";
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private string KeyFolder => Path.Combine(_scratch.Path, "keys");

    private static ProvenanceManifest Manifest(string sha256 = "", long size = 1234) => new(
        ProvenanceManifest.CurrentVersion,
        Guid.Parse("6f1c2f4e-3a57-4f0e-9b1d-7c2a5e8d9f01"),
        default,
        string.Empty,
        sha256.Length == 0 ? new string('a', 64) : sha256,
        "video/mp4",
        size,
        TimeSpan.FromMilliseconds(4000),
        1280,
        720,
        HostedVideoGenerator.GeneratorName,
        "sora-2",
        "video_68d2",
        ProvenanceManifest.TrainedAlgorithmicMedia,
        ProvenanceManifest.PromptSha256Of(Prompt),
        "policy-3f9a0c",
        [Guid.Parse("0d5e1f7a-6b2c-4c3d-8e9f-a0b1c2d3e4f5"), Guid.Parse("1e6f2a8b-7c3d-4d4e-9fa0-b1c2d3e4f506")],
        4711,
        new string('b', 64),
        [Guid.Parse("2f7a3b9c-8d4e-4e5f-a0b1-c2d3e4f50617")]);

    [Fact]
    public void ASignedManifestVerifiesAndReadsBackAsSigned()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var time = new FixedTime(new DateTimeOffset(2025, 11, 30, 12, 34, 56, 789, TimeSpan.Zero));

        var signed = new ProvenanceSigner(ring, time).Sign(Manifest());
        var result = new ProvenanceVerifier(ring).Verify(signed.CoseSign1);

        Assert.Equal(ProvenanceVerdict.Valid, result.Verdict);
        Assert.Equal(ring.ActiveKey.KeyId, result.KeyId);
        var read = result.Manifest!;
        Assert.Equal(ring.ActiveKey.KeyId, read.KeyId);
        Assert.Equal(new DateTimeOffset(2025, 11, 30, 12, 34, 56, TimeSpan.Zero), read.CreatedAt);
        Assert.Equal(signed.Manifest with { DecisionIds = [], ConsentIds = [] }, read with { DecisionIds = [], ConsentIds = [] });
        Assert.Equal(signed.Manifest.DecisionIds, read.DecisionIds);
        Assert.Equal(signed.Manifest.ConsentIds, read.ConsentIds);
        Assert.Equal("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", read.DigitalSourceType);
    }

    [Fact]
    public async Task TheReleasedVideoVerifiesAndOneChangedByteIsAHashMismatch()
    {
        using var generator = new LocalStoryboardGenerator(new LocalStoryboardOptions { OutputDirectory = _scratch.Path });
        var video = await generator.GenerateAsync(new GenerationRequest { Prompt = Prompt, Duration = TimeSpan.FromSeconds(2), Width = 160, Height = 120 }, null, CancellationToken.None);
        var facts = new ReleaseFacts(Guid.NewGuid(), Prompt, "policy-3f9a0c", [Guid.NewGuid()], 12, new string('c', 64), []);
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var manifest = await ProvenanceManifest.ForReleaseAsync(video, facts, CancellationToken.None);
        var signed = new ProvenanceSigner(ring).Sign(manifest);
        var verifier = new ProvenanceVerifier(ring);
        var bytes = await File.ReadAllBytesAsync(video.Path);

        var ok = await verifier.VerifyVideoAsync(signed.CoseSign1, new MemoryStream(bytes), CancellationToken.None);
        bytes[bytes.Length / 2] ^= 0x01;
        var altered = await verifier.VerifyVideoAsync(signed.CoseSign1, new MemoryStream(bytes), CancellationToken.None);

        Assert.Equal(ProvenanceVerdict.Valid, ok.Verdict);
        Assert.Equal((bytes.LongLength, "video/mp4", TimeSpan.FromSeconds(2), 160, 120), (ok.Manifest!.SizeBytes, ok.Manifest.MediaType, ok.Manifest.Duration, ok.Manifest.Width, ok.Manifest.Height));
        Assert.Equal((LocalStoryboardGenerator.GeneratorName, "storyboard-1", (string?)null), (ok.Manifest.Generator, ok.Manifest.Model, ok.Manifest.ProviderJobId));
        Assert.Equal(ProvenanceVerdict.HashMismatch, altered.Verdict);
        Assert.Contains("not the released file", altered.Reason, StringComparison.Ordinal);
        Assert.NotNull(altered.Manifest);
    }

    [Fact]
    public void AGivenHashIsCheckedAgainstTheManifestInEitherCase()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var sha = Convert.ToHexStringLower(SHA256.HashData("released bytes"u8));
        var signed = new ProvenanceSigner(ring).Sign(Manifest(sha));
        var verifier = new ProvenanceVerifier(ring);

        Assert.Equal(ProvenanceVerdict.Valid, verifier.VerifyHash(signed.CoseSign1, sha).Verdict);
        Assert.Equal(ProvenanceVerdict.Valid, verifier.VerifyHash(signed.CoseSign1, sha.ToUpperInvariant()).Verdict);
        Assert.Equal(ProvenanceVerdict.HashMismatch, verifier.VerifyHash(signed.CoseSign1, Convert.ToHexStringLower(SHA256.HashData("other bytes"u8))).Verdict);
        Assert.Throws<ArgumentException>(() => verifier.VerifyHash(signed.CoseSign1, "abc"));
    }

    [Fact]
    public void OneChangedByteInTheSignedPayloadIsABadSignature()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var signed = new ProvenanceSigner(ring).Sign(Manifest());
        var message = signed.CoseSign1.ToArray();
        var at = IndexOf(message, Encoding.UTF8.GetBytes("sora-2"));
        message[at] = (byte)'S'; // "Sora-2": still a valid text string, so the message still decodes

        var result = new ProvenanceVerifier(ring).Verify(message);

        Assert.Equal(ProvenanceVerdict.SignatureInvalid, result.Verdict);
        Assert.Null(result.Manifest);
    }

    [Fact]
    public void OneChangedByteInTheSignatureIsABadSignature()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var message = new ProvenanceSigner(ring).Sign(Manifest()).CoseSign1.ToArray();
        message[^1] ^= 0x80;

        Assert.Equal(ProvenanceVerdict.SignatureInvalid, new ProvenanceVerifier(ring).Verify(message).Verdict);
    }

    [Fact]
    public void BytesThatAreNotACoseMessageAreMalformed()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);

        var result = new ProvenanceVerifier(ring).Verify("not cose at all"u8);

        Assert.Equal(ProvenanceVerdict.Malformed, result.Verdict);
    }

    [Fact]
    public void AfterRotationOldManifestsStillVerifyAndNewOnesUseTheNewKey()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var signer = new ProvenanceSigner(ring);
        var before = signer.Sign(Manifest());
        var oldKey = ring.ActiveKey;

        var newKey = ring.Rotate();
        var after = signer.Sign(Manifest());

        Assert.NotEqual(oldKey.KeyId, newKey.KeyId);
        Assert.Equal(newKey, ring.ActiveKey);
        Assert.Equal(newKey.KeyId, after.Manifest.KeyId);
        Assert.Equal(oldKey.KeyId, before.Manifest.KeyId);
        var verifier = new ProvenanceVerifier(ring);
        Assert.Equal(ProvenanceVerdict.Valid, verifier.Verify(before.CoseSign1).Verdict);
        Assert.Equal(ProvenanceVerdict.Valid, verifier.Verify(after.CoseSign1).Verdict);

        // A restart (or another node sharing the folder) sees both keys and the same active one.
        var reopened = ProvenanceKeyRing.Open(KeyFolder);
        Assert.Equal(newKey.KeyId, reopened.ActiveKey.KeyId);
        Assert.Equal(new[] { oldKey.KeyId, newKey.KeyId }.Order(StringComparer.Ordinal), reopened.Keys.Select(k => k.KeyId));
        Assert.Equal(ProvenanceVerdict.Valid, new ProvenanceVerifier(reopened).Verify(before.CoseSign1).Verdict);
    }

    [Fact]
    public void ARotationOnAnotherNodeIsSeenWhenItsManifestsAreVerified()
    {
        var here = ProvenanceKeyRing.Open(KeyFolder);
        var there = ProvenanceKeyRing.Open(KeyFolder);
        there.Rotate();
        var signedThere = new ProvenanceSigner(there).Sign(Manifest());

        Assert.Equal(ProvenanceVerdict.Valid, new ProvenanceVerifier(here).Verify(signedThere.CoseSign1).Verdict);
    }

    [Fact]
    public void AMessageSignedWithAKeyThisServiceDoesNotHoldFailsClearly()
    {
        var stranger = ProvenanceKeyRing.Open(Path.Combine(_scratch.Path, "elsewhere"));
        var signed = new ProvenanceSigner(stranger).Sign(Manifest());
        var ring = ProvenanceKeyRing.Open(KeyFolder);

        var result = new ProvenanceVerifier(ring).Verify(signed.CoseSign1);

        Assert.Equal(ProvenanceVerdict.UnknownKey, result.Verdict);
        Assert.Equal(stranger.ActiveKey.KeyId, result.KeyId);
        Assert.Contains(stranger.ActiveKey.KeyId, result.Reason, StringComparison.Ordinal);
        Assert.Null(result.Manifest);
    }

    [Fact]
    public void TheKeyIdIsTheSha256OfThePublicKeyAndSitsInTheProtectedHeader()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var signed = new ProvenanceSigner(ring).Sign(Manifest());

        var message = CoseMessage.DecodeSign1(signed.CoseSign1);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ring.ActiveKey.SubjectPublicKeyInfo)), ring.ActiveKey.KeyId);
        Assert.Equal(ring.ActiveKey.KeyId, Convert.ToHexStringLower(message.ProtectedHeaders[CoseHeaderLabel.KeyIdentifier].GetValueAsBytes()));
        Assert.Equal(-7, message.ProtectedHeaders[CoseHeaderLabel.Algorithm].GetValueAsInt32());
        Assert.Equal(ProvenanceManifest.ContentType, message.ProtectedHeaders[CoseHeaderLabel.ContentType].GetValueAsString());
    }

    [Fact]
    public void AnyCoseLibraryCanVerifyWithThePublishedPublicKeyAlone()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var signed = new ProvenanceSigner(ring).Sign(Manifest());
        using var publicKey = ECDsa.Create();
        publicKey.ImportSubjectPublicKeyInfo(ring.ActiveKey.SubjectPublicKeyInfo, out _);

        var message = CoseMessage.DecodeSign1(signed.CoseSign1);

        Assert.True(message.VerifyEmbedded(publicKey));
        var payload = new CborReader(message.Content!.Value);
        Assert.Equal(20, payload.ReadStartMap());
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void TheKeyFileIsPrivateToTheServiceUser()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);

        var keyFile = Path.Combine(KeyFolder, ring.ActiveKey.KeyId + ".key.pem");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(KeyFolder));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(keyFile), StringComparison.Ordinal);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void AKeyFileOthersCanReadIsRefused()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        File.SetUnixFileMode(Path.Combine(KeyFolder, ring.ActiveKey.KeyId + ".key.pem"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var refusal = Assert.Throws<InvalidOperationException>(() => ProvenanceKeyRing.Open(KeyFolder));

        Assert.Contains("chmod 600", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyFileWhoseNameIsNotItsKeyIdIsRefused()
    {
        var ring = ProvenanceKeyRing.Open(KeyFolder);
        var path = Path.Combine(KeyFolder, ring.ActiveKey.KeyId + ".key.pem");
        File.Move(path, Path.Combine(KeyFolder, new string('0', 64) + ".key.pem"));

        Assert.Throws<InvalidOperationException>(() => ProvenanceKeyRing.Open(KeyFolder));
    }

    [Fact]
    public void ThePayloadIsCanonicalCborAndHoldsTheHashOfThePromptNotThePrompt()
    {
        var manifest = Manifest() with { KeyId = new string('d', 64), CreatedAt = DateTimeOffset.UnixEpoch };

        var payload = manifest.ToCbor();

        Assert.Equal(payload, (manifest with { DecisionIds = [.. manifest.DecisionIds] }).ToCbor());
        Assert.Equal(-1, IndexOf(payload, Encoding.UTF8.GetBytes("Nebula Knight")));
        Assert.True(IndexOf(payload, Encoding.UTF8.GetBytes(ProvenanceManifest.PromptSha256Of(Prompt))) >= 0);
        var keys = new List<string>();
        var reader = new CborReader(payload, CborConformanceMode.Canonical);
        var count = reader.ReadStartMap()!.Value;
        for (var i = 0; i < count; i++)
        {
            keys.Add(reader.ReadTextString());
            reader.SkipValue();
        }

        // RFC 8949 core deterministic order for text keys: shorter first, then bytewise.
        Assert.Equal(keys.OrderBy(k => k.Length).ThenBy(k => k, StringComparer.Ordinal), keys);
    }

    [Fact]
    public void APayloadThatIsNotCanonicalIsRefused()
    {
        var canonical = (Manifest() with { KeyId = new string('d', 64) }).ToCbor();
        var reader = new CborReader(canonical);
        var writer = new CborWriter(CborConformanceMode.Lax);
        var count = reader.ReadStartMap()!.Value;
        var entries = new List<(string Key, byte[] Value)>();
        for (var i = 0; i < count; i++)
        {
            entries.Add((reader.ReadTextString(), reader.ReadEncodedValue().ToArray()));
        }

        writer.WriteStartMap(count);
        foreach (var (key, value) in Enumerable.Reverse(entries))
        {
            writer.WriteTextString(key);
            writer.WriteEncodedValue(value);
        }

        writer.WriteEndMap();

        Assert.Throws<FormatException>(() => ProvenanceManifest.FromCbor(writer.Encode()));
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
