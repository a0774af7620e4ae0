using CampaignEtl.Sandbox.Soap;

namespace CampaignEtl.Sandbox.Hosting;

/// <summary>The operations the sandbox serves, by service (<c>Rpc&lt;Name&gt;</c>) and operation, with the real parameter order (in0 = sessionId).</summary>
internal sealed class RpcDispatcher(SandboxState state, SessionRegistry sessions, TimeProvider time)
{
    public const string Version = "CampaignEtl sandbox 1.0 (Optimizely Campaign SOAP 1.1 rpc/encoded)";

    public static readonly IReadOnlyCollection<string> Services =
        ["RpcSession", "RpcRecipient", "RpcUnsubscribe", "RpcBlacklist", "RpcClosedLoop", "RpcResponse"];

    public async Task<RpcResult> DispatchAsync(RpcCall call, CancellationToken ct)
    {
        if (call.Operation == "getVersion")
        {
            return RpcResult.Of(Version);
        }

        if (call.Service == "RpcSession" && call.Operation == "login")
        {
            return RpcResult.Of(sessions.Login(call.Long(0), call.String(1), call.String(2)));
        }

        if (call.Service == "RpcSession" && call.Operation == "logout")
        {
            sessions.Logout(call.String(0));
            return RpcResult.Void;
        }

        if (!IsKnown(call.Service, call.Operation))
        {
            throw SandboxFault.NoSuchOperation(call.Operation);
        }

        sessions.Use(call.String(0));
        return (call.Service, call.Operation) switch
        {
            ("RpcRecipient", "clear") => await ClearAsync(call, ct),
            ("RpcRecipient", "addAll3") => RpcResult.Of(await AddAll3Async(call, flat: false, ct)),
            ("RpcRecipient", "addAll3Flat") => RpcResult.Of(await AddAll3Async(call, flat: true, ct)),
            ("RpcRecipient", "getCount") => RpcResult.Of(await state.CountAsync(call.Long(1), call.Long(2), ct)),
            ("RpcRecipient", "getAllAdvancedFlat") => RpcResult.Of(await state.GetAllAdvancedFlatAsync(
                call.Long(1), call.StringArray(2), call.Long(3), call.String(4), call.Bool(5), call.Int(6), call.Int(7), ct)),
            ("RpcRecipient", "removeAll") => RpcResult.Of(await state.RemoveAllAsync(call.Long(1), call.StringArray(2), ct)),
            ("RpcRecipient", "remove") => await RemoveAsync(call, ct),
            ("RpcRecipient", "contains") => RpcResult.Of(await state.ContainsAsync(call.Long(1), call.RequiredString(2), ct)),
            ("RpcUnsubscribe", "addAll") => await UnsubscribeAllAsync(call, ct),
            ("RpcUnsubscribe", "add") => await UnsubscribeOneAsync(call, ct),
            ("RpcUnsubscribe", "containsAll") => RpcResult.Of(await state.UnsubscribeContainsAllAsync(call.StringArray(1), ct)),
            ("RpcUnsubscribe", "contains") => RpcResult.Of((await state.UnsubscribeContainsAllAsync([call.RequiredString(1)], ct))[0]),
            ("RpcUnsubscribe", "getCount") => RpcResult.Of(await state.UnsubscribeCountAsync(ct)),
            ("RpcBlacklist", "getAllAdvancedFlat") => RpcResult.Of(await state.GetBlocklistPageAsync(call.Int(1), call.Int(2), ct)),
            ("RpcBlacklist", "areBlacklisted") => RpcResult.Of(await state.AreBlocklistedAsync(call.StringArray(1), ct)),
            ("RpcBlacklist", "isBlacklisted") => RpcResult.Of((await state.AreBlocklistedAsync([call.RequiredString(1)], ct))[0]),
            ("RpcClosedLoop", "getCurrentTime") => RpcResult.Of(time.GetUtcNow().ToUnixTimeMilliseconds()),
            ("RpcClosedLoop", _) => RpcResult.Of(await state.ClosedLoopAsync(call.Operation, call.Long(1), call.Long(2), call.Int(3), call.Int(4), ct)),
            ("RpcResponse", "getBounceCounterThreshold") => RpcResult.Of(state.BounceThreshold(call.String(1))),
            _ => throw SandboxFault.NoSuchOperation(call.Operation),
        };
    }

    private static bool IsKnown(string service, string operation) => service switch
    {
        "RpcRecipient" => operation is "clear" or "addAll3" or "addAll3Flat" or "getCount" or "getAllAdvancedFlat" or "removeAll" or "remove" or "contains",
        "RpcUnsubscribe" => operation is "addAll" or "add" or "containsAll" or "contains" or "getCount",
        "RpcBlacklist" => operation is "getAllAdvancedFlat" or "areBlacklisted" or "isBlacklisted",
        "RpcClosedLoop" => operation is "getCurrentTime" or "getOutBounces" or "getOutbounces" or "getResponses" or "getUnsubscribes"
            or "getMailingUnsubscribes" or "getOpens" or "getClicks" or "getMailings",
        "RpcResponse" => operation is "getBounceCounterThreshold",
        _ => false,
    };

    private async Task<RpcResult> ClearAsync(RpcCall call, CancellationToken ct)
    {
        await state.ClearAsync(call.Long(1), ct);
        return RpcResult.Void;
    }

    private async Task<RpcResult> RemoveAsync(RpcCall call, CancellationToken ct)
    {
        await state.RemoveAsync(call.Long(1), call.RequiredString(2), ct);
        return RpcResult.Void;
    }

    private async Task<RpcResult> UnsubscribeAllAsync(RpcCall call, CancellationToken ct)
    {
        await state.UnsubscribeAllAsync(call.Long(1), call.StringArray(2), ct);
        return RpcResult.Void;
    }

    private async Task<RpcResult> UnsubscribeOneAsync(RpcCall call, CancellationToken ct)
    {
        await state.UnsubscribeAllAsync(call.Long(1), [call.RequiredString(2)], ct);
        return RpcResult.Void;
    }

    /// <summary>addAll3(sessionId, listId, optinProcessId, recipientIds[], emailAddresses[], attributeNames[], attributeValues[][]) and the Flat variant (row-major values).</summary>
    private async Task<int[]> AddAll3Async(RpcCall call, bool flat, CancellationToken ct)
    {
        var listId = call.Long(1);
        var optin = call.Long(2);
        var ids = call.StringArray(3);
        var emails = call.StringArray(4);
        var names = call.StringArray(5);
        if (flat)
        {
            var values = call.StringArray(6);
            if (values.Count != ids.Count * names.Count)
            {
                throw SandboxFault.Platform(string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"flatAttributeValues has {values.Count} values, expected {ids.Count} recipients x {names.Count} attributes for call: addAll3Flat"));
            }

            var width = names.Count;
            return await state.AddAllAsync(call.Operation, listId, optin, ids, emails, names, (i, j) => values[(i * width) + j], ct);
        }

        var rows = call.StringArrayArray(6);
        if (rows.Count != ids.Count || rows.Exists(r => r.Count != names.Count))
        {
            throw SandboxFault.Platform(string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"attributeValues must have {ids.Count} rows of {names.Count} values for call: addAll3"));
        }

        return await state.AddAllAsync(call.Operation, listId, optin, ids, emails, names, (i, j) => rows[i][j], ct);
    }
}
