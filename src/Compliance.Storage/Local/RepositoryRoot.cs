namespace Compliance.Storage.Local;

/// <summary>Finds the checkout (the folder holding Compliance.sln) above a starting folder.</summary>
public static class RepositoryRoot
{
    public static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Compliance.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
