namespace CampaignEtl.Platform.Soap;

internal static class SoapNamespaces
{
    public const string Envelope = "http://schemas.xmlsoap.org/soap/envelope/";
    public const string Encoding = "http://schemas.xmlsoap.org/soap/encoding/";
    public const string Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    public const string Xsd = "http://www.w3.org/2001/XMLSchema";
}
