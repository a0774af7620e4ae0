namespace CampaignEtl.Crm.Store;

/// <summary>The CRM database cannot be used at all: missing, locked, corrupt or of another schema.</summary>
public sealed class CrmUnavailableException : Exception
{
    private CrmUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public string? DatabasePath { get; private init; }

    internal static CrmUnavailableException Missing(string path) =>
        new($"CRM database not found at '{path}'; create it with 'demo seed' or set Data:CrmDatabase") { DatabasePath = path };

    internal static CrmUnavailableException Locked(string path, Exception inner) =>
        new($"CRM database '{path}' is locked by another process (waited for the busy timeout)", inner) { DatabasePath = path };

    internal static CrmUnavailableException NotACrm(string path, string reason, Exception? inner = null) =>
        new($"'{path}' is not a usable CampaignEtl CRM database: {reason}", inner) { DatabasePath = path };
}
