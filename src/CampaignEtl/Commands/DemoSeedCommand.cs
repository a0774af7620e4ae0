using CampaignEtl.Cli;
using CampaignEtl.Composition;
using CampaignEtl.Crm.Demo;
using CampaignEtl.Crm.Store;
using CampaignEtl.Pipeline.Options;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Commands;

/// <summary>
/// <c>demo seed</c>: (re)creates the demo CRM, under the run lock so no run reads it half-built; with
/// <c>Sandbox:Embedded</c> also a fresh demo platform holding tonight's events for some of its people.
/// </summary>
internal static class DemoSeedCommand
{
    public static async Task<int> ExecuteAsync(IServiceProvider services, int contacts, int seed, bool ifAbsent, CancellationToken cancellationToken)
    {
        var data = services.GetRequiredService<IOptions<DataOptions>>().Value;
        var database = services.GetRequiredService<CrmDatabase>();
        if (ifAbsent && database.Exists)
        {
            Console.Out.WriteLine($"Demo CRM present at {database.Path}; left as it is.");
            return ExitCodes.Success;
        }

        try
        {
            using var runLock = RunLock.Acquire(data.LockPath, $"demo seed, pid {Environment.ProcessId}");
            var summary = await services.GetRequiredService<DemoCrmSeeder>().SeedAsync(database, contacts, seed, cancellationToken);
            Console.Out.WriteLine($"Demo CRM created at {database.Path} (seed {seed}): {summary.Contacts} contacts, {summary.Leads} leads " +
                $"({summary.ConvertedLeads} converted), {summary.Accounts} accounts, {summary.Consents} consents, " +
                $"{summary.MarketingListMembers} list members, {summary.Bounced} bounced, {summary.OptedOut} opted out, " +
                $"{summary.InvalidEmails} missing or invalid emails, {summary.DuplicateEmails} duplicate emails, {summary.Campaigns} campaigns.");
            if (services.GetService<EmbeddedSandbox>() is { } sandbox)
            {
                var platform = await sandbox.SeedDemoAsync(database, cancellationToken);
                Console.Out.WriteLine($"Demo platform (embedded sandbox) reset at {platform.DatabasePath}: {platform.Unsubscribes} unsubscribes, " +
                    $"{platform.Outbounces} addresses over the bounce limit and {platform.Blocklisted} blocklisted addresses the CRM does not know yet.");
                foreach (var mailing in platform.Mailings)
                {
                    Console.Out.WriteLine($"Demo mailing {mailing.MailingId} simulated on the platform: {mailing.Sends} sends, {mailing.Opens} opens, " +
                        $"{mailing.Clicks} clicks, {mailing.HardBounces + mailing.SoftBounces} bounces, {mailing.Unsubscribes} unsubscribes; " +
                        "its response export waits in the drop for the ingest stage.");
                }
            }

            return ExitCodes.Success;
        }
        catch (RunLockedException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message + "; the CRM was not touched");
            return ExitCodes.Locked;
        }
    }
}
