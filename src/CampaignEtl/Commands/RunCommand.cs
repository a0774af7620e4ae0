using CampaignEtl.Cli;
using CampaignEtl.Pipeline.Runs;
using Microsoft.Extensions.DependencyInjection;

namespace CampaignEtl.Commands;

internal static class RunCommand
{
    public static async Task<int> ExecuteAsync(IServiceProvider services, RunRequest request, CancellationToken cancellationToken)
    {
        var runner = services.GetRequiredService<PipelineRunner>();
        try
        {
            var outcome = await runner.RunAsync(request, cancellationToken);
            RunSummaryWriter.Write(outcome, Console.Out);
            return outcome.Succeeded ? ExitCodes.Success : ExitCodes.StageFailed;
        }
        catch (ConfigurationProblemsException ex)
        {
            return VerbHost.ConfigurationError(ex.Problems);
        }
        catch (DataFolderUnavailableException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.StageFailed;
        }
        catch (StageOrderException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.OrderRefused;
        }
        catch (RunLockedException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message + "; nothing was run");
            return ExitCodes.Locked;
        }
    }
}
