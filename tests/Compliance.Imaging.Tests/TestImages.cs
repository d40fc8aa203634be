namespace Compliance.Imaging.Tests;

/// <summary>
/// The public-domain sample photos of scikit-image (Debian package python3-skimage) in
/// <c>.data/test-images/</c> under the repository root, put there by <c>scripts/test-images.sh</c>.
/// Missing images fail the tests that need them: a matching claim without its evidence is not a pass.
/// </summary>
internal static class TestImages
{
    /// <summary>
    /// The references of the real-image evaluation: photographs, micrographs, scans and textures. Left
    /// out: the tiny synthetic ones (checkerboards, palettes, 3×5 images), <c>truncated.jpg</c>, and
    /// <c>motorcycle_right.png</c>, which is the other half of a stereo pair with <c>motorcycle_left.png</c>
    /// (the same scene, so it is a true near-duplicate, not an impostor; reported separately).
    /// </summary>
    public static readonly string[] References =
    [
        "astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png", "coffee.png",
        "coins.png", "grass.png", "gravel.png", "horse.png", "hubble_deep_field.jpg", "ihc.png", "logo.png",
        "moon.png", "motorcycle_left.png", "page.png", "retina.jpg", "rocket.jpg", "text.png",
    ];

    private static readonly Lazy<string> LazyFolder = new(FindFolder);

    public static string Folder => LazyFolder.Value;

    public static string PathOf(string file)
    {
        var path = Path.Combine(Folder, file);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Test image {path} is missing: run scripts/test-images.sh from the repository root.", path);
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                var folder = Path.Combine(dir.FullName, ".data", "test-images");
                return Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.png").Any()
                    ? folder
                    : throw new DirectoryNotFoundException(
                        $"The real-image test set is missing from {folder}: run scripts/test-images.sh from the repository root "
                        + "(it fetches Debian's python3-skimage and copies its sample images there).");
            }
        }

        throw new DirectoryNotFoundException($"No Compliance.sln above {AppContext.BaseDirectory}.");
    }
}
