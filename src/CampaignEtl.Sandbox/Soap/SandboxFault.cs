namespace CampaignEtl.Sandbox.Soap;

/// <summary>A SOAP fault the sandbox answers with (HTTP 500), as Apache Axis 1.4 writes it.</summary>
internal sealed class SandboxFault : Exception
{
    /// <summary>The Java exception class the platform names at the start of its faultstrings.</summary>
    public const string ImplException = "broadmail.api.soap11.impl.WebserviceImplException";

    private SandboxFault(string faultCode, string faultString)
        : base(faultString)
    {
        FaultCode = faultCode;
        FaultString = faultString;
    }

    public string FaultCode { get; }

    public string FaultString { get; }

    /// <summary>A platform error: <c>soapenv:Server.userException</c>, faultstring <c>broadmail...WebserviceImplException: message</c>.</summary>
    public static SandboxFault Platform(string message) => new("soapenv:Server.userException", ImplException + ": " + message);

    public static SandboxFault InvalidCredentials() => Platform("Invalid credentials.");

    public static SandboxFault InvalidSession() => Platform("Invalid sessionId");

    /// <summary>A request Axis cannot deserialize: Axis answers <c>soapenv:Server.userException</c> with a SAXException.</summary>
    public static SandboxFault BadRequest(string message) => new("soapenv:Server.userException", "org.xml.sax.SAXException: " + message);

    /// <summary>An operation the service does not have: Axis answers <c>soapenv:Client</c>, "No such operation".</summary>
    public static SandboxFault NoSuchOperation(string operation) => new("soapenv:Client", "No such operation '" + operation + "'");

    /// <summary>An unexpected server-side error, as Axis reports a Java runtime exception.</summary>
    public static SandboxFault Unexpected(string exceptionType) => new("soapenv:Server.userException", "java.lang.RuntimeException: " + exceptionType);

    /// <summary>An injected transient failure: an Axis fault carrying a Java I/O exception.</summary>
    public static SandboxFault Injected() => new("soapenv:Server.userException", "java.net.SocketTimeoutException: Read timed out");
}
