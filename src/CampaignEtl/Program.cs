using CampaignEtl.Cli;
using Serilog;
using Serilog.Events;

// Serilog first, so even a failure to build the host is logged; the host replaces this logger.
Log.Logger = new LoggerConfiguration()
    .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose)
    .CreateBootstrapLogger();
try
{
    return await CampaignEtlCli.InvokeAsync(args);
}
catch (Exception ex)
{
    Log.Fatal(ex, "CampaignEtl ended unexpectedly");
    return ExitCodes.StageFailed;
}
finally
{
    await Log.CloseAndFlushAsync();
}
