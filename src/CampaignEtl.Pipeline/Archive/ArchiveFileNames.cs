namespace CampaignEtl.Pipeline.Archive;

internal static class ArchiveFileNames
{
    /// <summary>Names become paths: no separators, no '..', no control characters, no hidden or manifest names.</summary>
    internal static void EnsureSafe(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('/') || name.Contains('\\') || name.Contains("..", StringComparison.Ordinal)
            || name.StartsWith('.') || name.Any(char.IsControl) || name == ArchiveLayout.ManifestName || name.Length > 200)
        {
            throw new ArgumentException($"'{name}' is not a safe archive file name", nameof(name));
        }
    }
}
