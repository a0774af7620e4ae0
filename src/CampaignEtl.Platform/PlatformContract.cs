namespace CampaignEtl.Platform;

/// <summary>One rpc/encoded web service of the platform: its name, endpoint path and namespace.</summary>
public sealed record PlatformService(string Name, string Path, string? WsdlFile)
{
    /// <summary>The <c>targetNamespace</c> and <c>soap:body@namespace</c> of the service.</summary>
    public string Namespace { get; } = "urn:api.broadmail.de/soap11/" + Path;
}

/// <summary>A positional message part: <c>in0..inN</c> with its WSDL type (e.g. <c>xsd:long</c>, <c>impl:ArrayOf_xsd_string</c>).</summary>
public sealed record PlatformPart(string Name, string Type, string Meaning);

/// <summary>
/// One operation the product uses. <see cref="SafeToRepeat"/> says whether a transient failure
/// (answer lost) may be retried: only when repeating gives the same end state.
/// </summary>
public sealed record PlatformOperation(
    PlatformService Service,
    string Name,
    IReadOnlyList<PlatformPart> Parts,
    string? ReturnType,
    bool SafeToRepeat,
    string SafeToRepeatReason,
    bool Inferred = false)
{
    /// <summary><c>Service.operation</c>, the key calls are counted under.</summary>
    public string Key { get; } = Service.Name + "." + Name;

    public override string ToString() => Key;
}

/// <summary>
/// The operations of the platform's SOAP API the client calls, in one place. Tests check this
/// table against <c>schemas/optimizely-soap-contract.json</c>, and that file against the real WSDLs.
/// </summary>
public static class PlatformContract
{
    public const string XsdString = "xsd:string";
    public const string XsdLong = "xsd:long";
    public const string XsdInt = "xsd:int";
    public const string XsdBoolean = "xsd:boolean";
    public const string StringArray = "impl:ArrayOf_xsd_string";
    public const string StringArrayArray = "impl:ArrayOfArrayOf_xsd_string";
    public const string IntArray = "impl:ArrayOf_xsd_int";
    public const string BooleanArray = "impl:ArrayOf_xsd_boolean";

    private const string Read = "read-only: repeating returns the same answer and changes nothing";

    public static readonly PlatformService SessionService = new("SessionWebservice", "RpcSession", "RpcSession.wsdl");
    public static readonly PlatformService RecipientService = new("RecipientWebservice", "RpcRecipient", "RpcRecipient.wsdl");
    public static readonly PlatformService UnsubscribeService = new("UnsubscribeWebservice", "RpcUnsubscribe", "RpcUnsubscribe.wsdl");
    public static readonly PlatformService BlacklistService = new("BlacklistWebservice", "RpcBlacklist", "RpcBlacklist.wsdl");
    public static readonly PlatformService ClosedLoopService = new("ClosedLoopWebservice", "RpcClosedLoop", null);
    public static readonly PlatformService ResponseService = new("ResponseWebservice", "RpcResponse", null);

    private static readonly PlatformPart SessionId = new("in0", XsdString, "sessionId");

    public static class Session
    {
        public static readonly PlatformOperation Login = new(SessionService, "login",
            [new("in0", XsdLong, "mandatorId (client id)"), new("in1", XsdString, "user"), new("in2", XsdString, "password")],
            XsdString, true, "a second login only opens another session; the first one expires on its own");

        public static readonly PlatformOperation Logout = new(SessionService, "logout", [SessionId], null,
            true, "logging out an ended session ends in the same state (at worst an Invalid sessionId fault, ignored)");
    }

    public static class Recipient
    {
        public static readonly PlatformOperation Clear = new(RecipientService, "clear",
            [SessionId, new("in1", XsdLong, "recipientListId")], null,
            true, "clearing an already cleared list leaves the same empty list");

        public static readonly PlatformOperation AddAll3 = new(RecipientService, "addAll3",
            [SessionId, new("in1", XsdLong, "recipientListId"), new("in2", XsdLong, "optinProcessId"),
             new("in3", StringArray, "recipientIds"), new("in4", StringArray, "emailAddresses"),
             new("in5", StringArray, "attributeNames"), new("in6", StringArrayArray, "attributeValues")],
            IntArray, true, AddAllReason);

        public static readonly PlatformOperation AddAll3Flat = new(RecipientService, "addAll3Flat",
            [SessionId, new("in1", XsdLong, "recipientListId"), new("in2", XsdLong, "optinProcessId"),
             new("in3", StringArray, "recipientIds"), new("in4", StringArray, "emailAddresses"),
             new("in5", StringArray, "attributeNames"), new("in6", StringArray, "flatAttributeValues (row-major)")],
            IntArray, true, AddAllReason);

        public static readonly PlatformOperation GetCount = new(RecipientService, "getCount",
            [SessionId, new("in1", XsdLong, "recipientListId"), new("in2", XsdLong, "recipientFilterId (0 = whole list)")],
            XsdInt, true, Read);

        public static readonly PlatformOperation GetAllAdvancedFlat = new(RecipientService, "getAllAdvancedFlat",
            [SessionId, new("in1", XsdLong, "recipientListId"), new("in2", StringArray, "attributeNames"),
             new("in3", XsdLong, "recipientFilterId"), new("in4", XsdString, "orderByAttribute (nil = unsorted)"),
             new("in5", XsdBoolean, "ascendingSortOrder"), new("in6", XsdInt, "pageStart"), new("in7", XsdInt, "pageSize")],
            StringArray, true, Read);

        public static readonly PlatformOperation RemoveAll = new(RecipientService, "removeAll",
            [SessionId, new("in1", XsdLong, "recipientListId"), new("in2", StringArray, "recipientIds")],
            BooleanArray, false, "a repeat after a lost answer reports false (not existing) for rows the first call deleted, so the answer would lie");

        // Why a lost addAll3 answer may be repeated: the refill runs clear, then addAll3 batches.
        // A repeated batch whose first answer was lost gives code 5 (already on list) for the rows
        // the first call added, and the refill counts 5 as success; the list ends the same.
        internal const string AddAllReason = "in a clear-and-refill a repeated batch gives code 5 (already on list) for rows the lost first call added; the refill treats 5 as success, so the list ends the same";
    }

    public static class Unsubscribe
    {
        public static readonly PlatformOperation AddAll = new(UnsubscribeService, "addAll",
            [SessionId, new("in1", XsdLong, "recipientListId"), new("in2", StringArray, "recipientIds")], null,
            true, "adding an unsubscribe that exists leaves the same unsubscribe list");

        public static readonly PlatformOperation ContainsAll = new(UnsubscribeService, "containsAll",
            [SessionId, new("in1", StringArray, "recipientIds")], BooleanArray, true, Read);

        public static readonly PlatformOperation GetCount = new(UnsubscribeService, "getCount",
            [SessionId], XsdInt, true, Read);
    }

    public static class Blacklist
    {
        public static readonly PlatformOperation GetAllAdvancedFlat = new(BlacklistService, "getAllAdvancedFlat",
            [SessionId, new("in1", XsdInt, "pageStart"), new("in2", XsdInt, "pageSize")], StringArray, true, Read);

        public static readonly PlatformOperation AreBlacklisted = new(BlacklistService, "areBlacklisted",
            [SessionId, new("in1", StringArray, "emailAddresses")], BooleanArray, true, Read);
    }

    public static class ClosedLoop
    {
        public static readonly PlatformOperation GetCurrentTime = new(ClosedLoopService, "getCurrentTime",
            [SessionId], XsdLong, true, Read, Inferred: true);

        public static readonly PlatformOperation GetOutBounces = Page("getOutBounces");
        public static readonly PlatformOperation GetResponses = Page("getResponses");
        public static readonly PlatformOperation GetUnsubscribes = Page("getUnsubscribes");
        public static readonly PlatformOperation GetMailingUnsubscribes = Page("getMailingUnsubscribes");
        public static readonly PlatformOperation GetOpens = Page("getOpens");
        public static readonly PlatformOperation GetClicks = Page("getClicks");
        public static readonly PlatformOperation GetMailings = Page("getMailings");

        // No public WSDL: parts follow the documented Java signature
        // String[][] m(String sessionId, long since, long until, int startRow, int numberOfRows).
        private static PlatformOperation Page(string name) => new(ClosedLoopService, name,
            [SessionId, new("in1", XsdLong, "since (ms epoch)"), new("in2", XsdLong, "until (ms epoch)"),
             new("in3", XsdInt, "startRow (0-based)"), new("in4", XsdInt, "numberOfRows (at most 1000)")],
            StringArrayArray, true, Read, Inferred: true);
    }

    public static class Response
    {
        public static readonly PlatformOperation GetBounceCounterThreshold = new(ResponseService, "getBounceCounterThreshold",
            [SessionId, new("in1", XsdString, "category (hardbounce, softbounce)")], XsdInt, true, Read, Inferred: true);
    }

    // Getters, not initialized fields: the nested classes' fields must not be read while this
    // class's static constructor runs (a nested class touched first would see nulls here).
    public static IReadOnlyList<PlatformService> Services =>
        [SessionService, RecipientService, UnsubscribeService, BlacklistService, ClosedLoopService, ResponseService];

    public static IReadOnlyList<PlatformOperation> Operations =>
    [
        Session.Login, Session.Logout,
        Recipient.Clear, Recipient.AddAll3, Recipient.AddAll3Flat, Recipient.GetCount, Recipient.GetAllAdvancedFlat, Recipient.RemoveAll,
        Unsubscribe.AddAll, Unsubscribe.ContainsAll, Unsubscribe.GetCount,
        Blacklist.GetAllAdvancedFlat, Blacklist.AreBlacklisted,
        ClosedLoop.GetCurrentTime, ClosedLoop.GetOutBounces, ClosedLoop.GetResponses, ClosedLoop.GetUnsubscribes,
        ClosedLoop.GetMailingUnsubscribes, ClosedLoop.GetOpens, ClosedLoop.GetClicks, ClosedLoop.GetMailings,
        Response.GetBounceCounterThreshold,
    ];
}
