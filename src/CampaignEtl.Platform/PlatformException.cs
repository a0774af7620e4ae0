namespace CampaignEtl.Platform;

/// <summary>
/// A platform call failed. The message names the operation and never holds the password or a session id.
/// <see cref="IsTransient"/> failures (HTTP 5xx without a SOAP fault, timeouts, dropped connections, SOAP faults
/// naming a Java I/O exception of the platform's backend such as <c>java.net.SocketTimeoutException</c>) are
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

    /// <summary>There is no platform to call (e.g. the embedded sandbox did not start); nothing was sent.</summary>
    public static PlatformException Unavailable(string reason) =>
        new("platform", "the platform is unavailable: " + reason, isTransient: false, inner: null);

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

/// <summary>
/// The platform answered with a SOAP fault (<c>soapenv:Server.userException</c> carrying a <c>WebserviceImplException</c>).
/// A fault is final (<see cref="PlatformException.IsTransient"/> false) unless it names a Java I/O exception of the
/// platform's own backend (see <see cref="IsTransientFault"/>); <c>Invalid sessionId</c> is handled by a re-login.
/// </summary>
public sealed class PlatformFaultException : PlatformException
{
    // Axis turns a Java exception thrown behind the web service into a fault whose faultstring starts with
    // the exception's class name, e.g. "java.net.SocketTimeoutException: Read timed out" when the platform's
    // backend (database, internal service) did not answer in time. Those say nothing about the request:
    // the same call may well succeed a moment later, so they are transient, like an HTTP 5xx without a fault.
    // Any java.net socket or connection exception, and a java.io.IOException whose message says the
    // connection timed out or was reset / closed, qualify; every other fault (validation, permissions,
    // unknown list, Invalid sessionId, a NullPointerException in the platform) stays final. As with every
    // transient failure, the client repeats the call only when the operation is safe to repeat: the work may
    // have been done before the backend timed out.
    private static readonly string[] TransientExceptions =
    [
        "java.net.SocketTimeoutException",
        "java.net.SocketException",
        "java.net.ConnectException",
        "java.net.NoRouteToHostException",
        "java.net.UnknownHostException",
    ];

    private static readonly string[] IoExceptions = ["java.io.IOException", "java.io.InterruptedIOException", "java.io.EOFException"];

    private static readonly string[] IoTransientWords = ["timed out", "timeout", "connection reset", "connection refused", "broken pipe", "connection closed", "closed by peer"];

    private PlatformFaultException(string operation, string message, PlatformFaultKind kind, string faultCode, string platformMessage, bool isTransient)
        : base(operation, message, isTransient, inner: null)
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
        // The class name only: the rest of the raw faultstring may hold arguments and secrets.
        var exception = kind == PlatformFaultKind.Other ? TransientExceptionIn(faultString) : null;
        var message = exception is null
            ? $"{operation} failed on the platform: {shown}"
            : $"{operation} failed on the platform: {shown} ({exception}: an I/O failure behind the platform, transient)";
        return new PlatformFaultException(operation, message, kind, faultCode ?? string.Empty, text, exception is not null);
    }

    /// <summary>Whether a faultstring names a Java I/O exception of the platform's backend (a transient fault).</summary>
    internal static bool IsTransientFault(string? faultString) => TransientExceptionIn(faultString) is not null;

    /// <summary>The Java I/O exception class a faultstring names, when that makes the fault transient; else null.</summary>
    private static string? TransientExceptionIn(string? faultString)
    {
        if (string.IsNullOrEmpty(faultString))
        {
            return null;
        }

        foreach (var name in TransientExceptions)
        {
            if (faultString.Contains(name, StringComparison.Ordinal))
            {
                return name;
            }
        }

        foreach (var name in IoExceptions)
        {
            var at = faultString.IndexOf(name, StringComparison.Ordinal);
            if (at >= 0 && IoTransientWords.Any(w => faultString.AsSpan(at + name.Length).Contains(w, StringComparison.OrdinalIgnoreCase)))
            {
                return name;
            }
        }

        return null;
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
