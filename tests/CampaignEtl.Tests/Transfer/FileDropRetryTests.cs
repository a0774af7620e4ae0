using System.Runtime.CompilerServices;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CampaignEtl.Tests.Transfer;

/// <summary>The shared transfer rules over a scripted session whose connection drops after half the bytes.</summary>
public sealed class FileDropRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DownloadAsync_ConnectionDropsOnce_RetriesAfterTheBackoffAndTheTargetIsComplete()
    {
        using var folder = new TempFolder();
        var time = new FakeTimeProvider();
        var drop = new ScriptedDrop(Options(attempts: 3, TimeSpan.FromSeconds(5)), time, drops: 1);
        var target = Path.Combine(folder.Path, "responses.csv");

        var download = drop.DownloadAsync("responses.csv", target, Ct);
        await drop.FirstFailure.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await Task.Delay(50, Ct);

        download.IsCompleted.ShouldBeFalse("the retry waits for the backoff on the TimeProvider");
        File.Exists(target).ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(5));
        var downloaded = await download.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        downloaded.Length.ShouldBe(ScriptedDrop.Content.Length);
        (await File.ReadAllBytesAsync(target, Ct)).ShouldBe(ScriptedDrop.Content);
        Directory.GetFiles(folder.Path).ShouldBe([target]);
        drop.Sessions.ShouldBe(2);
    }

    [Fact]
    public async Task DownloadAsync_ConnectionDropsEveryTime_FailsAfterTheAttemptsAndNoFileReachesTheTarget()
    {
        using var folder = new TempFolder();
        var drop = new ScriptedDrop(Options(attempts: 2, TimeSpan.Zero), TimeProvider.System, drops: 5);
        var target = Path.Combine(folder.Path, "responses.csv");

        var error = await Should.ThrowAsync<FileDropException>(() => drop.DownloadAsync("responses.csv", target, Ct));

        error.Message.ShouldContain("failed after 2 attempt(s)");
        Directory.GetFiles(folder.Path).ShouldBeEmpty();
        drop.Sessions.ShouldBe(2);
    }

    [Fact]
    public async Task DownloadAsync_ServerReportsAnotherSize_RetriesAndNeverPublishesAShortFile()
    {
        using var folder = new TempFolder();
        var drop = new ScriptedDrop(Options(attempts: 2, TimeSpan.Zero), TimeProvider.System, drops: 0) { ReportedSize = ScriptedDrop.Content.Length + 1 };
        var target = Path.Combine(folder.Path, "responses.csv");

        var error = await Should.ThrowAsync<FileDropException>(() => drop.DownloadAsync("responses.csv", target, Ct));

        error.Message.ShouldContain("the server reported");
        Directory.GetFiles(folder.Path).ShouldBeEmpty();
    }

    [Fact]
    public async Task DownloadAsync_Cancelled_LeavesNoTemporary()
    {
        using var folder = new TempFolder();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var drop = new ScriptedDrop(Options(attempts: 3, TimeSpan.Zero), TimeProvider.System, drops: 0) { Hang = true };
        var download = drop.DownloadAsync("responses.csv", Path.Combine(folder.Path, "responses.csv"), cancel.Token);
        await drop.HalfWritten.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => download);
        Directory.GetFiles(folder.Path).ShouldBeEmpty();
    }

    private static TransferOptions Options(int attempts, TimeSpan delay) =>
        new() { LocalFolder = "/unused", Retry = new TransferRetryOptions { Attempts = attempts, BaseDelay = delay } };

    private sealed class ScriptedDrop(TransferOptions options, TimeProvider time, int drops) : FileDropBase(options, time, NullLogger.Instance)
    {
        public static readonly byte[] Content = [.. Enumerable.Range(0, 64 * 1024).Select(i => (byte)i)];

        private int dropsLeft = drops;

        public TaskCompletionSource FirstFailure { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource HalfWritten { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Sessions { get; private set; }

        public long? ReportedSize { get; init; }

        public bool Hang { get; init; }

        protected override Task<IFileDropSession> OpenSessionAsync(CancellationToken cancellationToken)
        {
            Sessions++;
            return Task.FromResult<IFileDropSession>(new Session(this));
        }

        private sealed class Session(ScriptedDrop owner) : IFileDropSession
        {
            public async Task<long?> DownloadAsync(string path, Stream destination, CancellationToken cancellationToken)
            {
                await destination.WriteAsync(Content.AsMemory(0, Content.Length / 2), cancellationToken);
                owner.HalfWritten.TrySetResult();
                if (owner.Hang)
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }

                if (owner.dropsLeft-- > 0)
                {
                    owner.FirstFailure.TrySetResult();
                    throw new IOException("connection reset by peer (scripted)");
                }

                await destination.WriteAsync(Content.AsMemory(Content.Length / 2), cancellationToken);
                return owner.ReportedSize ?? Content.Length;
            }

            public async IAsyncEnumerable<RemoteFileEntry> ListAsync(string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
            {
                await Task.CompletedTask;
                yield break;
            }

            public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => Task.FromResult(false);

            public Task<long?> UploadAsync(Stream source, string path, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task RenameAsync(string from, string to, CancellationToken cancellationToken) => throw new NotSupportedException();

            public Task EnsureFolderAsync(string folder, CancellationToken cancellationToken) => Task.CompletedTask;

            public Task DeleteTemporaryAsync(string path, CancellationToken cancellationToken) => Task.CompletedTask;

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
