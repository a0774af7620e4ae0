namespace CampaignEtl.Platform;

/// <summary>Replaces the password and every session id seen so far with <c>***</c> in text bound for messages.</summary>
internal sealed class SecretScrubber
{
    private const string Mask = "***";
    private readonly Lock gate = new();
    private string[] secrets = [];

    public void Add(string? secret)
    {
        // Shorter secrets would mangle ordinary words; a session id is 16 characters, the validator requires a password.
        if (string.IsNullOrEmpty(secret) || secret.Length < 3)
        {
            return;
        }

        lock (gate)
        {
            if (Array.IndexOf(secrets, secret) < 0)
            {
                secrets = [.. secrets, secret];
            }
        }
    }

    public string Scrub(string text)
    {
        foreach (var secret in Volatile.Read(ref secrets))
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }
}
