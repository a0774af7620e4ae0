namespace CampaignEtl.Transfer;

/// <summary>
/// A file-drop operation that failed for good (bad name, existing target, refused host key or certificate, attempts
/// used up). The message names the operation and the file, never a password, passphrase or key.
/// </summary>
public class FileDropException : Exception
{
    public FileDropException()
    {
    }

    public FileDropException(string message)
        : base(message)
    {
    }

    public FileDropException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A failure worth another attempt (dropped connection, short transfer).</summary>
public sealed class FileDropTransientException : FileDropException
{
    public FileDropTransientException()
    {
    }

    public FileDropTransientException(string message)
        : base(message)
    {
    }

    public FileDropTransientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
