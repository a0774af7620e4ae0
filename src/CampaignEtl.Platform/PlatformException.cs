namespace CampaignEtl.Platform;

/// <summary>
/// A platform call failed. The message names the operation and never holds the password or a session id.
/// <see cref="IsTransient"/> failures (HTTP 5xx without a SOAP fault, timeouts, dropped connections) are
/// retried by the client for operations that are safe to repeat; when this reaches a caller, retries are spent.
/// </summary>
public class PlatformException : Exception
{
    protected PlatformException(string operation, string message, bool isTransient, Exception? inner)
        : base(message, inner)
    {
        Operation = operation;
        IsTransient = isTransient;
    }

    /// <summary><c>Service.operation</c>, e.g. <c>RecipientWebservice.addAll3Flat</c>.</summary>
    public string Operation { get; }

    public bool IsTransient { get; }

    /// <summary>The answer is not a usable SOAP response: HTML, truncated XML, wrong namespace, missing return value.</summary>
    internal static PlatformException BadResponse(string operation, string reason, Exception? inner = null, bool isTransient = false) =>
        new(operation, $"{operation}: the platform's answer is not a usable SOAP response: {reason}", isTransient, inner);

    /// <summary>The exchange itself failed: connection, timeout, HTTP status without a SOAP fault.</summary>
    internal static PlatformException Transport(string operation, string reason, bool isTransient, Exception? inner = null) =>
        new(operation, $"{operation}: {reason}", isTransient, inner);
}

public enum PlatformFaultKind
{
    Other,
    InvalidSessionId,
    InvalidCredentials,
    RecipientDoesNotExist,
}

/// <summary>The platform answered with a SOAP fault (<c>soapenv:Server.userException</c> carrying a <c>WebserviceImplException</c>).</summary>
public sealed class PlatformFaultException : PlatformException
{
    private PlatformFaultException(string operation, string message, PlatformFaultKind kind, string faultCode, string platformMessage)
        : base(operation, message, isTransient: false, inner: null)
    {
        Kind = kind;
        FaultCode = faultCode;
        PlatformMessage = platformMessage;
    }

    public PlatformFaultKind Kind { get; }

    /// <summary>The SOAP faultcode, e.g. <c>soapenv:Server.userException</c>.</summary>
    public string FaultCode { get; }

    /// <summary>The platform's message without the Java exception class, the argument list and the call arguments, e.g. <c>Invalid sessionId</c>.</summary>
    public string PlatformMessage { get; }

    internal static PlatformFaultException FromFault(string operation, string? faultCode, string? faultString, SecretScrubber? scrubber)
    {
        var text = PlatformText(faultString ?? string.Empty);
        if (scrubber is not null)
        {
            text = scrubber.Scrub(text);
        }

        var kind = KindOf(text);
        var shown = text.Length == 0 ? "(no faultstring)" : text;
        return new PlatformFaultException(operation, $"{operation} failed on the platform: {shown}", kind, faultCode ?? string.Empty, text);
    }

    // "com.optivo.broadmail.api.soap11.WebserviceImplException: [sid, 42] Recipient does not exist for call: [...]"
    // becomes "Recipient does not exist": the class name is noise, and the argument lists hold the
    // session id and personal data, which must stay out of exception messages.
    internal static string PlatformText(string faultString)
    {
        var text = faultString.Trim();
        var marker = text.IndexOf("Exception: ", StringComparison.Ordinal);
        if (marker >= 0 && text.IndexOf(' ', 0, marker) < 0)
        {
            text = text[(marker + "Exception: ".Length)..].TrimStart();
        }

        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close > 0)
            {
                text = text[(close + 1)..].TrimStart();
            }
        }

        var call = text.IndexOf(" for call:", StringComparison.Ordinal);
        if (call >= 0)
        {
            text = text[..call];
        }

        return text.Trim();
    }

    private static PlatformFaultKind KindOf(string text)
    {
        if (text.Contains("Invalid sessionId", StringComparison.OrdinalIgnoreCase))
        {
            return PlatformFaultKind.InvalidSessionId;
        }

        if (text.Contains("Invalid credentials", StringComparison.OrdinalIgnoreCase))
        {
            return PlatformFaultKind.InvalidCredentials;
        }

        // The platform writes both "does not exist" and "does not exists".
        if (text.Contains("Recipient", StringComparison.OrdinalIgnoreCase)
            && (text.Contains("not exist", StringComparison.OrdinalIgnoreCase)))
        {
            return PlatformFaultKind.RecipientDoesNotExist;
        }

        return PlatformFaultKind.Other;
    }
}

/// <summary>
/// The run's call budget (<c>Platform:CallBudget</c>) is spent. The stage stops cleanly; a re-run
/// continues where it stopped. Nothing was sent for the call that hit the budget.
/// </summary>
public sealed class PlatformCallBudgetExceededException : PlatformException
{
    internal PlatformCallBudgetExceededException(string operation, long budget)
        : base(operation, $"{operation} not sent: the run's platform call budget of {budget} calls is spent (Platform:CallBudget); re-run to continue", isTransient: false, inner: null)
    {
        Budget = budget;
    }

    public long Budget { get; }
}
