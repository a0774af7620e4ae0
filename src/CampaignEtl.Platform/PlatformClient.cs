using System.Runtime.CompilerServices;
using CampaignEtl.Platform.Soap;
using CampaignEtl.Platform.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Op = CampaignEtl.Platform.PlatformContract;

namespace CampaignEtl.Platform;

internal sealed class PlatformClient : IPlatformClient, IRecipientService, IUnsubscribeService, IBlacklistService, IClosedLoopService, IResponseService
{
    private readonly PlatformCaller caller;

    internal PlatformClient(ISoapTransport transport, PlatformOptions options, TimeProvider time, ILogger? logger = null)
    {
        caller = new PlatformCaller(transport, options, time, logger ?? NullLogger.Instance);
    }

    /// <summary>Rows per ClosedLoop call: the documented maximum. Tests lower it.</summary>
    internal int ClosedLoopPageSize { get; init; } = 1000;

    public IRecipientService Recipients => this;

    public IUnsubscribeService Unsubscribes => this;

    public IBlacklistService Blacklist => this;

    public IClosedLoopService ClosedLoop => this;

    public IResponseService Responses => this;

    public PlatformCallCounter Calls => caller.Calls;

    internal PlatformCaller Caller => caller;

    public Task LogoutAsync(CancellationToken cancellationToken = default) => caller.LogoutAsync(cancellationToken);

    public ValueTask DisposeAsync() => caller.DisposeAsync();

    // RecipientWebservice

    Task IRecipientService.ClearAsync(long recipientListId, CancellationToken cancellationToken) =>
        caller.CallAsync(Op.Recipient.Clear, sid => [S(sid), L(recipientListId)], static _ => 0, cancellationToken);

    async Task<IReadOnlyList<RecipientResultCode>> IRecipientService.AddAll3Async(long recipientListId, long optinProcessId, IReadOnlyList<string> recipientIds, IReadOnlyList<string> emailAddresses, IReadOnlyList<string> attributeNames, IReadOnlyList<IReadOnlyList<string?>> attributeValues, CancellationToken cancellationToken)
    {
        Batch.Check(recipientIds, emailAddresses, attributeNames);
        ArgumentNullException.ThrowIfNull(attributeValues);
        if (attributeValues.Count != recipientIds.Count)
        {
            throw new ArgumentException($"{attributeValues.Count} attribute rows for {recipientIds.Count} recipients", nameof(attributeValues));
        }

        for (var i = 0; i < attributeValues.Count; i++)
        {
            if (attributeValues[i]?.Count != attributeNames.Count)
            {
                throw new ArgumentException($"attribute row {i} has {attributeValues[i]?.Count ?? 0} values for {attributeNames.Count} attribute names", nameof(attributeValues));
            }
        }

        var codes = await caller.CallAsync(
            Op.Recipient.AddAll3,
            sid => [S(sid), L(recipientListId), L(optinProcessId), SoapArg.StringArray(recipientIds), SoapArg.StringArray(emailAddresses), SoapArg.StringArray(attributeNames), SoapArg.StringArrayArray(attributeValues)],
            RpcReads.IntArray,
            cancellationToken);
        return Codes(Op.Recipient.AddAll3, codes, recipientIds.Count);
    }

    async Task<IReadOnlyList<RecipientResultCode>> IRecipientService.AddAll3FlatAsync(long recipientListId, long optinProcessId, IReadOnlyList<string> recipientIds, IReadOnlyList<string> emailAddresses, IReadOnlyList<string> attributeNames, IReadOnlyList<string?> flatAttributeValues, CancellationToken cancellationToken)
    {
        Batch.Check(recipientIds, emailAddresses, attributeNames);
        ArgumentNullException.ThrowIfNull(flatAttributeValues);
        if (flatAttributeValues.Count != (long)recipientIds.Count * attributeNames.Count)
        {
            throw new ArgumentException($"{flatAttributeValues.Count} flat attribute values; expected {recipientIds.Count} recipients x {attributeNames.Count} attributes", nameof(flatAttributeValues));
        }

        var codes = await caller.CallAsync(
            Op.Recipient.AddAll3Flat,
            sid => [S(sid), L(recipientListId), L(optinProcessId), SoapArg.StringArray(recipientIds), SoapArg.StringArray(emailAddresses), SoapArg.StringArray(attributeNames), SoapArg.StringArray(flatAttributeValues)],
            RpcReads.IntArray,
            cancellationToken);
        return Codes(Op.Recipient.AddAll3Flat, codes, recipientIds.Count);
    }

    Task<int> IRecipientService.GetCountAsync(long recipientListId, long recipientFilterId, CancellationToken cancellationToken) =>
        caller.CallAsync(Op.Recipient.GetCount, sid => [S(sid), L(recipientListId), L(recipientFilterId)], static r => r.ReadInt(r.Return), cancellationToken);

    async Task<IReadOnlyList<string?>> IRecipientService.GetAllAdvancedFlatAsync(long recipientListId, IReadOnlyList<string> attributeNames, long recipientFilterId, string? orderByAttribute, bool ascending, int pageStart, int pageSize, CancellationToken cancellationToken) =>
        await caller.CallAsync(
            Op.Recipient.GetAllAdvancedFlat,
            sid => [S(sid), L(recipientListId), SoapArg.StringArray(attributeNames), L(recipientFilterId), S(orderByAttribute), SoapArg.Boolean(ascending), SoapArg.Int(pageStart), SoapArg.Int(pageSize)],
            RpcReads.StringArray,
            cancellationToken);

    async Task<IReadOnlyList<bool>> IRecipientService.RemoveAllAsync(long recipientListId, IReadOnlyList<string> recipientIds, CancellationToken cancellationToken) =>
        await caller.CallAsync(Op.Recipient.RemoveAll, sid => [S(sid), L(recipientListId), SoapArg.StringArray(recipientIds)], RpcReads.BooleanArray, cancellationToken);

    // UnsubscribeWebservice

    Task IUnsubscribeService.AddAllAsync(long recipientListId, IReadOnlyList<string> recipientIds, CancellationToken cancellationToken) =>
        caller.CallAsync(Op.Unsubscribe.AddAll, sid => [S(sid), L(recipientListId), SoapArg.StringArray(recipientIds)], static _ => 0, cancellationToken);

    async Task<IReadOnlyList<bool>> IUnsubscribeService.ContainsAllAsync(IReadOnlyList<string> recipientIds, CancellationToken cancellationToken) =>
        await caller.CallAsync(Op.Unsubscribe.ContainsAll, sid => [S(sid), SoapArg.StringArray(recipientIds)], RpcReads.BooleanArray, cancellationToken);

    Task<int> IUnsubscribeService.GetCountAsync(CancellationToken cancellationToken) =>
        caller.CallAsync(Op.Unsubscribe.GetCount, sid => [S(sid)], static r => r.ReadInt(r.Return), cancellationToken);

    // BlacklistWebservice

    async Task<IReadOnlyList<string?>> IBlacklistService.GetAllAdvancedFlatAsync(int pageStart, int pageSize, CancellationToken cancellationToken) =>
        await caller.CallAsync(Op.Blacklist.GetAllAdvancedFlat, sid => [S(sid), SoapArg.Int(pageStart), SoapArg.Int(pageSize)], RpcReads.StringArray, cancellationToken);

    async Task<IReadOnlyList<bool>> IBlacklistService.AreBlacklistedAsync(IReadOnlyList<string> emailAddresses, CancellationToken cancellationToken) =>
        await caller.CallAsync(Op.Blacklist.AreBlacklisted, sid => [S(sid), SoapArg.StringArray(emailAddresses)], RpcReads.BooleanArray, cancellationToken);

    // ClosedLoopWebservice

    async Task<DateTimeOffset> IClosedLoopService.GetCurrentTimeAsync(CancellationToken cancellationToken) =>
        DateTimeOffset.FromUnixTimeMilliseconds(await caller.CallAsync(Op.ClosedLoop.GetCurrentTime, sid => [S(sid)], static r => r.ReadLong(r.Return), cancellationToken));

    IAsyncEnumerable<IReadOnlyList<string?>> IClosedLoopService.GetOutBouncesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) => Rows(Op.ClosedLoop.GetOutBounces, since, until, cancellationToken);

    IAsyncEnumerable<IReadOnlyList<string?>> IClosedLoopService.GetResponsesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) => Rows(Op.ClosedLoop.GetResponses, since, until, cancellationToken);

    IAsyncEnumerable<IReadOnlyList<string?>> IClosedLoopService.GetUnsubscribesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) => Rows(Op.ClosedLoop.GetUnsubscribes, since, until, cancellationToken);

    IAsyncEnumerable<IReadOnlyList<string?>> IClosedLoopService.GetMailingUnsubscribesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) => Rows(Op.ClosedLoop.GetMailingUnsubscribes, since, until, cancellationToken);

    IAsyncEnumerable<IReadOnlyList<string?>> IClosedLoopService.GetOpensAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) => Rows(Op.ClosedLoop.GetOpens, since, until, cancellationToken);

    IAsyncEnumerable<IReadOnlyList<string?>> IClosedLoopService.GetClicksAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) => Rows(Op.ClosedLoop.GetClicks, since, until, cancellationToken);

    IAsyncEnumerable<IReadOnlyList<string?>> IClosedLoopService.GetMailingsAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken) => Rows(Op.ClosedLoop.GetMailings, since, until, cancellationToken);

    // ResponseWebservice

    Task<int> IResponseService.GetBounceCounterThresholdAsync(string category, CancellationToken cancellationToken) =>
        caller.CallAsync(Op.Response.GetBounceCounterThreshold, sid => [S(sid), S(category)], static r => r.ReadInt(r.Return), cancellationToken);

    private async IAsyncEnumerable<IReadOnlyList<string?>> Rows(PlatformOperation operation, DateTimeOffset since, DateTimeOffset until, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pageSize = ClosedLoopPageSize;
        var from = since.ToUnixTimeMilliseconds();
        var to = until.ToUnixTimeMilliseconds();
        for (var startRow = 0; ;)
        {
            var start = startRow;
            var page = await caller.CallAsync(
                operation,
                sid => [S(sid), L(from), L(to), SoapArg.Int(start), SoapArg.Int(pageSize)],
                RpcReads.StringMatrix,
                cancellationToken);
            foreach (var row in page)
            {
                yield return row;
            }

            if (page.Length < pageSize)
            {
                yield break;
            }

            startRow += page.Length;
        }
    }

    private static RecipientResultCode[] Codes(PlatformOperation operation, int[] codes, int expected)
    {
        if (codes.Length != expected)
        {
            throw PlatformException.BadResponse(operation.Key, $"{codes.Length} result codes for {expected} recipients");
        }

        var result = new RecipientResultCode[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            result[i] = (RecipientResultCode)codes[i];
        }

        return result;
    }

    private static SoapArg S(string? value) => SoapArg.String(value);

    private static SoapArg L(long value) => SoapArg.Long(value);
}
