namespace CampaignEtl.Pipeline.Archive;

/// <summary>The write-once mechanics shared by archived files and manifests: a private temp file, then an atomic, read-only publish.</summary>
public static class ReadOnlyFiles
{
    /// <summary>A new hidden temp file beside <paramref name="finalPath"/>, owner read-write (0600) on Unix.</summary>
    public static FileStream CreateTemp(string finalPath, out string tempPath)
    {
        tempPath = Path.Combine(Path.GetDirectoryName(finalPath)!, "." + Path.GetFileName(finalPath) + ".tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 64 * 1024,
            Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(tempPath, options);
    }

    /// <summary>Renames the flushed temp file to its final name, never over an existing file, and makes it read-only (0400).</summary>
    public static void Publish(string tempPath, string finalPath)
    {
        File.Move(tempPath, finalPath, overwrite: false);
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(finalPath, FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(finalPath, UnixFileMode.UserRead);
        }
    }

    /// <summary>Deletes a folder of read-only files (retention, discarded attempts, scratch folders).</summary>
    public static void DeleteTree(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }

        Directory.Delete(folder, recursive: true);
    }
}
