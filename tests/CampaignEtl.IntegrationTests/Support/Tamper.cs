namespace CampaignEtl.IntegrationTests.Support;

/// <summary>What an intruder or a careless admin does to a read-only archived file before changing it.</summary>
internal static class Tamper
{
    public static string MakeWritable(string path)
    {
        File.SetAttributes(path, FileAttributes.Normal);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }
}
