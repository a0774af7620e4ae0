using System.Text;

namespace CampaignEtl.Pipeline.Runs;

/// <summary>
/// The single-run lock: an exclusive, operating-system lock on <c>&lt;data&gt;/run.lock</c>. The OS
/// releases it when the process dies, so a crash never leaves a stale lock behind.
/// </summary>
public sealed class RunLock : IDisposable
{
    // Windows reports ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION; Unix the errno of flock: EWOULDBLOCK (11 Linux, 35 macOS).
    private const int SharingViolation = 32;
    private const int LockViolation = 33;
    private const int WouldBlockLinux = 11;
    private const int WouldBlockMac = 35;
    private readonly FileStream _stream;

    private RunLock(FileStream stream) => _stream = stream;

    public static RunLock Acquire(string path, string holderDescription)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFolderUnavailableException($"the data folder '{Path.GetDirectoryName(path)}' cannot be created or written: {ex.Message}", ex);
        }

        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes(holderDescription + Environment.NewLine));
            stream.Flush();
            return new RunLock(stream);
        }
        catch (IOException ex) when (IsHeldByAnother(ex))
        {
            throw new RunLockedException($"another run holds the lock '{path}'", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFolderUnavailableException($"the lock file '{path}' cannot be written: {ex.Message}", ex);
        }
    }

    public void Dispose() => _stream.Dispose();

    private static bool IsHeldByAnother(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) is SharingViolation or LockViolation
        : ex.HResult is WouldBlockLinux or WouldBlockMac;
}

/// <summary>Another run holds the lock. Exit code 3.</summary>
public sealed class RunLockedException(string message, Exception inner) : Exception(message, inner);

/// <summary>The data folder cannot be created or written (a file in its place, no permission, full disk).</summary>
public sealed class DataFolderUnavailableException(string message, Exception inner) : Exception(message, inner);
