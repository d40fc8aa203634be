namespace Compliance.ImageEvaluation;

/// <summary>
/// The public-domain sample photos of scikit-image (Debian package python3-skimage) in
/// <c>.data/test-images/</c> under the repository root, put there by <c>scripts/test-images.sh</c>.
/// Missing images fail the tests that need them: a matching claim without its evidence is not a pass.
/// </summary>
public static class TestImages
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

    /// <summary>
    /// The held-out references (docs/evaluation.md): photos from Debian's opencv-doc in <c>heldout/</c>, which no
    /// threshold of the image matchers was chosen on. A photo of a place, animals, fruit, sweets, a painting, a board.
    /// </summary>
    public static readonly string[] HeldOut =
    [
        "heldout/baboon.jpg", "heldout/building.jpg", "heldout/butterfly.jpg", "heldout/fruits.jpg", "heldout/home.jpg",
        "heldout/orange.jpg", "heldout/apple.jpg", "heldout/starry_night.jpg", "heldout/smarties.png", "heldout/board.jpg",
        "heldout/squirrel_cls.jpg", "heldout/graf1.png",
    ];

    /// <summary>
    /// Unrelated pictures, never references: the scenes copies are pasted into (partial copies, picture-in-picture),
    /// and, untouched, more impostor queries.
    /// </summary>
    public static readonly string[] Unrelated =
    [
        "heldout/basketball1.png", "heldout/aloeL.jpg", "heldout/rubberwhale1.png", "heldout/leuvenA.jpg", "heldout/aero1.jpg",
        "heldout/chicky_512.png", "heldout/stuff.jpg", "heldout/Blender_Suzanne1.jpg", "heldout/cards.png", "heldout/pic2.png",
        "heldout/sudoku.png", "heldout/ela_original.jpg", "heldout/messi5.jpg",
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
