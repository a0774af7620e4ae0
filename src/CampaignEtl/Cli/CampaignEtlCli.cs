using System.CommandLine;
using CampaignEtl.Commands;
using CampaignEtl.Pipeline.Runs;
using CampaignEtl.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CampaignEtl.Cli;

/// <summary>The command line: verbs run, worker, status, audit verify, demo seed, bench, sandbox serve.</summary>
internal static class CampaignEtlCli
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var config = new Option<string?>("--config") { Description = "A JSON configuration file layered over appsettings.json", Recursive = true };
        var root = new RootCommand("CampaignEtl: the nightly closed loop between the CRM and Optimizely Campaign") { config };
        root.Add(BuildRun(config));
        root.Add(BuildWorker(config));
        root.Add(BuildStatus(config));
        root.Add(BuildAudit(config));
        root.Add(BuildDemo(config));
        root.Add(BenchCommand.Build(config));
        root.Add(BuildSandbox(config));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync("error: " + error.Message);
            }

            await Console.Error.WriteLineAsync("Run with --help for usage.");
            return ExitCodes.Usage;
        }

        // Signals are the host's to handle (graceful stop); System.CommandLine would otherwise end the process early.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
    }

    private static Command BuildRun(Option<string?> config)
    {
        var stage = new Option<string[]>("--stage") { Description = "Run only this stage (repeatable): suppress, export, refill, ingest", AllowMultipleArgumentsPerToken = false };
        stage.AcceptOnlyFromAmong([.. StageNames.InOrder.Select(s => s.ToText())]);
        var from = new Option<string?>("--from") { Description = "Run this stage and every later one" };
        from.AcceptOnlyFromAmong([.. StageNames.InOrder.Select(s => s.ToText())]);
        var runId = RunIdOption("Re-run stages of this existing run (a new attempt each, using that run's own inputs)");
        var dryRun = new Option<bool>("--dry-run") { Description = "Compute and print, change nothing (no journal, archive, CRM or platform changes; the platform is only read)" };
        var allowShrink = new Option<bool>(RunOverrides.AllowShrinkFlag) { Description = "Refill a list even when its export is empty or shrank more than Refill:MaxShrinkShare (recorded in the journal)" };
        var withoutSuppress = new Option<bool>(RunOverrides.WithoutSuppressFlag) { Description = "Export even though suppress has not succeeded in this run (recorded in the journal)" };
        var command = new Command("run", "Run the nightly job once, or re-run stages of an earlier run") { stage, from, runId, dryRun, allowShrink, withoutSuppress };
        command.Validators.Add(result =>
        {
            if (result.GetValue(stage) is { Length: > 0 } && result.GetValue(from) is not null)
            {
                result.AddError("--stage and --from cannot be combined");
            }
        });
        command.SetAction((parse, token) =>
        {
            var request = new RunRequest(
                [.. (parse.GetValue(stage) ?? []).Select(StageNames.Parse)],
                parse.GetValue(from) is { } f ? StageNames.Parse(f) : null,
                parse.GetValue(runId),
                parse.GetValue(dryRun),
                RunTrigger.Manual)
            {
                Overrides = new RunOverrides(parse.GetValue(allowShrink), parse.GetValue(withoutSuppress)),
            };
            return VerbHost.RunAsync(parse.GetValue(config), validateEverythingOnStart: true,
                (services, ct) => RunCommand.ExecuteAsync(services, request, ct), token);
        });
        return command;
    }

    private static Command BuildWorker(Option<string?> config)
    {
        var command = new Command("worker", "Run as a service: the nightly job on the cron schedule (systemd and Windows service aware)");
        command.SetAction((parse, token) => VerbHost.RunAsync(parse.GetValue(config), validateEverythingOnStart: true,
            async (services, ct) =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    // The stop signal is the normal end of a service; the worker recorded any interrupted stage.
                }

                return ExitCodes.Success;
            },
            token,
            builder =>
            {
                builder.Services.AddSystemd();
                builder.Services.AddWindowsService(o => o.ServiceName = "CampaignEtl");
                builder.Services.AddHostedService<NightlyWorker>();
            }));
        return command;
    }

    private static Command BuildStatus(Option<string?> config)
    {
        var runId = RunIdOption("Show only this run");
        var json = new Option<bool>("--json") { Description = "JSON for machines instead of the table" };
        var limit = new Option<int>("--limit") { Description = "How many recent runs to show", DefaultValueFactory = _ => 10 };
        var command = new Command("status", "Runs, stage attempts, counts, durations and errors") { runId, json, limit };
        command.SetAction((parse, token) => VerbHost.RunAsync(parse.GetValue(config), validateEverythingOnStart: false,
            (services, ct) => StatusCommand.ExecuteAsync(services, parse.GetValue(runId), parse.GetValue(json), parse.GetValue(limit), ct), token));
        return command;
    }

    private static Command BuildAudit(Option<string?> config)
    {
        var runId = RunIdOption("Verify only this run's files and manifests");
        var verify = new Command("verify", "Recompute every archived file's SHA-256 and rows and the manifest chain; exit 4 on any finding") { runId };
        verify.SetAction((parse, token) => VerbHost.RunAsync(parse.GetValue(config), validateEverythingOnStart: false,
            (services, ct) => AuditVerifyCommand.ExecuteAsync(services, parse.GetValue(runId), ct), token));
        return new Command("audit", "Audit the archive") { verify };
    }

    private static Command BuildDemo(Option<string?> config)
    {
        var contacts = new Option<int>("--contacts") { Description = "Contacts to generate (leads: a quarter of that)", DefaultValueFactory = _ => 2000 };
        contacts.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--contacts must be at least 1");
            }
        });
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same CRM", DefaultValueFactory = _ => 42 };
        var ifAbsent = new Option<bool>("--if-absent") { Description = "Do nothing when the CRM database already exists" };
        var seedCommand = new Command("seed", "(Re)create the demo CRM with realistic data") { contacts, seed, ifAbsent };
        seedCommand.SetAction((parse, token) => VerbHost.RunAsync(parse.GetValue(config), validateEverythingOnStart: false,
            (services, ct) => DemoSeedCommand.ExecuteAsync(services, parse.GetValue(contacts), parse.GetValue(seed), parse.GetValue(ifAbsent), ct), token));
        return new Command("demo", "The demo CRM") { seedCommand };
    }

    private static Command BuildSandbox(Option<string?> config)
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (0: a free one); the endpoint is printed on standard output", DefaultValueFactory = _ => 0 };
        var serve = new Command("serve", "Run the sandbox platform (same SOAP wire format as Optimizely Campaign) on 127.0.0.1 until stopped") { port };
        serve.SetAction((parse, token) => VerbHost.RunAsync(parse.GetValue(config), validateEverythingOnStart: false,
            (services, ct) => SandboxServeCommand.ExecuteAsync(services, parse.GetValue(port), ct), token));
        return new Command("sandbox", "The embedded sandbox platform") { serve };
    }

    internal static Option<string?> RunIdOption(string description)
    {
        var option = new Option<string?>("--run-id") { Description = description };
        option.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string?>();
            if (value is not null && !RunIdentity.IsWellFormed(value))
            {
                r.AddError($"--run-id '{value}' is not a run id (yyyyMMddTHHmmssZ-xxxx, as printed by run and status)");
            }
        });
        return option;
    }
}
