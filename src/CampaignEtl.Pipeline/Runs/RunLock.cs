using System.Text;

namespace CampaignEtl.Pipeline.Runs;

/// <summary>
/// The single-run lock: an exclusive, operating-system lock on <c>&lt;data&gt;/run.lock</c>. The OS
/// releases it when the process dies, so a crash never leaves a stale lock behind.
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;

    private RunLock(FileStream stream) => _stream = stream;

    public static RunLock Acquire(string path, string holderDescription)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes(holderDescription + Environment.NewLine));
            stream.Flush();
            return new RunLock(stream);
        }
        catch (IOException ex)
        {
            throw new RunLockedException($"another run holds the lock '{path}'", ex);
        }
    }

    public void Dispose() => _stream.Dispose();
}

/// <summary>Another run holds the lock. Exit code 3.</summary>
public sealed class RunLockedException(string message, Exception inner) : Exception(message, inner);
