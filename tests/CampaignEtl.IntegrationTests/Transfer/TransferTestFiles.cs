namespace CampaignEtl.IntegrationTests.Transfer;

internal static class TransferTestFiles
{
    /// <summary>Writes <paramref name="length"/> bytes of varied content in 1 MiB chunks (never the whole file in memory).</summary>
    public static async Task WriteAsync(string path, long length, CancellationToken cancellationToken)
    {
        var chunk = new byte[1024 * 1024];
        Random.Shared.NextBytes(chunk);
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        for (long written = 0, index = 0; written < length; index++)
        {
            // A different first bytes per chunk, so a duplicated or skipped chunk changes the hash.
            BitConverter.TryWriteBytes(chunk, index);
            var count = (int)Math.Min(chunk.Length, length - written);
            await stream.WriteAsync(chunk.AsMemory(0, count), cancellationToken);
            written += count;
        }
    }
}
