using System.Runtime.CompilerServices;

namespace CampaignEtl.Platform;

/// <summary>RecipientWebservice: the recipient lists the refill clears and fills.</summary>
public interface IRecipientService
{
    /// <summary>Deletes every recipient of the list (the list stays). Safe to repeat: a cleared list cleared again is the same empty list.</summary>
    Task ClearAsync(long recipientListId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds up to 1000 recipients, attribute values one row per recipient; answers one code per recipient, in input order.
    /// Retried after a lost answer: the repeat answers <see cref="RecipientResultCode.AlreadyOnList"/> for rows the first
    /// call added, which the refill counts as success.
    /// </summary>
    Task<IReadOnlyList<RecipientResultCode>> AddAll3Async(long recipientListId, long optinProcessId, IReadOnlyList<string> recipientIds, IReadOnlyList<string> emailAddresses, IReadOnlyList<string> attributeNames, IReadOnlyList<IReadOnlyList<string?>> attributeValues, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="AddAll3Async"/> with the attribute values flattened row-major (recipient 1's values in
    /// <paramref name="attributeNames"/> order, then recipient 2's, ...): length = recipients x attributes.
    /// Retried after a lost answer for the same reason: rows already added answer code 5 (already on list).
    /// </summary>
    Task<IReadOnlyList<RecipientResultCode>> AddAll3FlatAsync(long recipientListId, long optinProcessId, IReadOnlyList<string> recipientIds, IReadOnlyList<string> emailAddresses, IReadOnlyList<string> attributeNames, IReadOnlyList<string?> flatAttributeValues, CancellationToken cancellationToken = default);

    /// <summary>Recipients in the list; filter 0 = the whole list.</summary>
    Task<int> GetCountAsync(long recipientListId, long recipientFilterId = 0, CancellationToken cancellationToken = default);

    /// <summary>One page of recipients, values row-major in <paramref name="attributeNames"/> order.</summary>
    Task<IReadOnlyList<string?>> GetAllAdvancedFlatAsync(long recipientListId, IReadOnlyList<string> attributeNames, long recipientFilterId, string? orderByAttribute, bool ascending, int pageStart, int pageSize, CancellationToken cancellationToken = default);

    /// <summary>Removes recipients; true = deleted, false = did not exist. Not retried: a repeat would answer false for rows the first call deleted.</summary>
    Task<IReadOnlyList<bool>> RemoveAllAsync(long recipientListId, IReadOnlyList<string> recipientIds, CancellationToken cancellationToken = default);
}

/// <summary>UnsubscribeWebservice: the client-wide (or per-list) unsubscribe list.</summary>
public interface IUnsubscribeService
{
    Task AddAllAsync(long recipientListId, IReadOnlyList<string> recipientIds, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<bool>> ContainsAllAsync(IReadOnlyList<string> recipientIds, CancellationToken cancellationToken = default);

    Task<int> GetCountAsync(CancellationToken cancellationToken = default);
}

/// <summary>BlacklistWebservice: the blocklist, wildcard entries included.</summary>
public interface IBlacklistService
{
    /// <summary>One page of entries, flat: 5 values per entry (see the service's column names).</summary>
    Task<IReadOnlyList<string?>> GetAllAdvancedFlatAsync(int pageStart, int pageSize, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<bool>> AreBlacklistedAsync(IReadOnlyList<string> emailAddresses, CancellationToken cancellationToken = default);
}

/// <summary>
/// ClosedLoopWebservice: response data by time window (on the platform's export file times, so
/// overlap windows and de-duplicate). Each read pages by <c>startRow</c>, at most 1000 rows a call,
/// until a short page; rows are yielded as they arrive.
/// </summary>
public interface IClosedLoopService
{
    /// <summary>The platform's clock; use it for <c>since</c>/<c>until</c>.</summary>
    Task<DateTimeOffset> GetCurrentTimeAsync(CancellationToken cancellationToken = default);

    IAsyncEnumerable<IReadOnlyList<string?>> GetOutBouncesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default);

    IAsyncEnumerable<IReadOnlyList<string?>> GetResponsesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default);

    IAsyncEnumerable<IReadOnlyList<string?>> GetUnsubscribesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default);

    IAsyncEnumerable<IReadOnlyList<string?>> GetMailingUnsubscribesAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default);

    IAsyncEnumerable<IReadOnlyList<string?>> GetOpensAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default);

    IAsyncEnumerable<IReadOnlyList<string?>> GetClicksAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default);

    IAsyncEnumerable<IReadOnlyList<string?>> GetMailingsAsync(DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken = default);
}

/// <summary>ResponseWebservice: bounce counters.</summary>
public interface IResponseService
{
    /// <summary>The bounce limit for a category (<c>hardbounce</c>, <c>softbounce</c>).</summary>
    Task<int> GetBounceCounterThresholdAsync(string category, CancellationToken cancellationToken = default);
}

/// <summary>
/// One run's client: one session, one call counter, one budget. Dispose it at the end of the run to
/// log out.
/// </summary>
public interface IPlatformClient : IAsyncDisposable
{
    IRecipientService Recipients { get; }

    IUnsubscribeService Unsubscribes { get; }

    IBlacklistService Blacklist { get; }

    IClosedLoopService ClosedLoop { get; }

    IResponseService Responses { get; }

    /// <summary>The calls this client made, per operation and in total.</summary>
    PlatformCallCounter Calls { get; }

    /// <summary>Logs out now if logged in; later calls log in again.</summary>
    Task LogoutAsync(CancellationToken cancellationToken = default);
}

/// <summary>Creates one <see cref="IPlatformClient"/> per run (sessions and call counts are per run).</summary>
public interface IPlatformClientFactory
{
    IPlatformClient Create();
}

internal static class Batch
{
    /// <summary>Recipients per addAll3 call; the platform's documented ceiling for batch calls.</summary>
    public const int MaxRecipients = 1000;

    public static void Check(IReadOnlyList<string> recipientIds, IReadOnlyList<string> emailAddresses, IReadOnlyList<string> attributeNames)
    {
        ArgumentNullException.ThrowIfNull(recipientIds);
        ArgumentNullException.ThrowIfNull(emailAddresses);
        ArgumentNullException.ThrowIfNull(attributeNames);
        if (recipientIds.Count > MaxRecipients)
        {
            throw new ArgumentException($"{recipientIds.Count} recipients in one call; at most {MaxRecipients}", nameof(recipientIds));
        }

        if (emailAddresses.Count != recipientIds.Count)
        {
            throw new ArgumentException($"{emailAddresses.Count} email addresses for {recipientIds.Count} recipient ids", nameof(emailAddresses));
        }
    }
}
