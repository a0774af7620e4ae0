using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.Tests.Transfer;

public sealed class LocalFileDropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListAsync_DropWithFilesFolderAndTemporary_ReturnsOnlyTheFiles()
    {
        using var folder = new TempFolder();
        folder.File("out/responses-2.csv", "ab");
        folder.File("out/responses-1.csv", "abc");
        folder.File("out/.responses-3.csv.0123456789abcdef0123456789abcdef.part", "partial");
        Directory.CreateDirectory(Path.Combine(folder.Path, "out", "processed"));

        var entries = await Drop(folder, "out").ListAsync(cancellationToken: Ct);

        entries.Select(e => (e.Name, e.Size)).ShouldBe([("responses-1.csv", 3L), ("responses-2.csv", 2L)]);
        entries.ShouldAllBe(e => e.Modified != null);
    }

    [Fact]
    public async Task DownloadAsync_File_CopiesIntoTheTargetAndLeavesTheDropAsItWas()
    {
        using var folder = new TempFolder();
        folder.File("out/responses.csv", "a,b\n1,2\n");
        var target = Path.Combine(folder.Path, "archive", "2026", "responses.csv");

        var downloaded = await Drop(folder, "out").DownloadAsync("responses.csv", target, Ct);

        downloaded.ShouldBe(new DownloadedFile("responses.csv", target, 8));
        (await File.ReadAllTextAsync(target, Ct)).ShouldBe("a,b\n1,2\n");
        Directory.GetFiles(Path.GetDirectoryName(target)!).ShouldBe([target]);
        File.Exists(Path.Combine(folder.Path, "out", "responses.csv")).ShouldBeTrue();
    }

    [Fact]
    public async Task DownloadAsync_TargetExists_FailsAndKeepsTheTarget()
    {
        using var folder = new TempFolder();
        folder.File("out/responses.csv", "new");
        var target = folder.File("archive/responses.csv", "archived");

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(folder, "out").DownloadAsync("responses.csv", target, Ct));

        error.Message.ShouldContain("never overwrite");
        (await File.ReadAllTextAsync(target, Ct)).ShouldBe("archived");
    }

    [Fact]
    public async Task DownloadAsync_MissingFile_FailsAndNoFileReachesTheTarget()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "out"));
        var target = Path.Combine(folder.Path, "archive", "responses.csv");

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(folder, "out").DownloadAsync("responses.csv", target, Ct));

        error.Message.ShouldContain("no such file");

        Directory.GetFiles(Path.Combine(folder.Path, "archive")).ShouldBeEmpty();
    }

    [Fact]
    public async Task UploadAsync_NewName_AppearsUnderThatNameOnly()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "in"));
        var local = folder.File("local/recipients.csv", "email\n");

        await Drop(folder, "in").UploadAsync(local, "recipients-1001.csv", Ct);

        Directory.GetFiles(Path.Combine(folder.Path, "in")).Select(Path.GetFileName).ShouldBe(["recipients-1001.csv"]);
        (await File.ReadAllTextAsync(Path.Combine(folder.Path, "in", "recipients-1001.csv"), Ct)).ShouldBe("email\n");
    }

    [Fact]
    public async Task UploadAsync_NameExists_FailsAndKeepsTheRemoteFile()
    {
        using var folder = new TempFolder();
        var remote = folder.File("in/recipients-1001.csv", "earlier");
        var local = folder.File("local/recipients.csv", "later");

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(folder, "in").UploadAsync(local, "recipients-1001.csv", Ct));

        error.Message.ShouldContain("never overwrite");
        (await File.ReadAllTextAsync(remote, Ct)).ShouldBe("earlier");
        Directory.GetFiles(Path.Combine(folder.Path, "in")).ShouldBe([remote]);
    }

    [Fact]
    public async Task MoveToProcessedAsync_File_MovesItIntoTheConfiguredFolder()
    {
        using var folder = new TempFolder();
        folder.File("out/responses.csv", "x");
        var drop = FileDrops.Create(new TransferOptions { LocalFolder = folder.Path, RemoteFolder = "out", ProcessedFolder = "done/2026" }, TimeProvider.System, NullLoggerFactory.Instance);

        await drop.MoveToProcessedAsync("responses.csv", Ct);

        File.Exists(Path.Combine(folder.Path, "out", "responses.csv")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(folder.Path, "out", "done", "2026", "responses.csv")).ShouldBe("x");
    }

    [Fact]
    public async Task MoveToProcessedAsync_MissingFile_FailsClearly()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "out"));

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(folder, "out").MoveToProcessedAsync("responses.csv", Ct));

        error.Message.ShouldContain("no such file");
    }

    private static IFileDrop Drop(TempFolder folder, string remoteFolder) =>
        FileDrops.Create(new TransferOptions { LocalFolder = folder.Path, RemoteFolder = remoteFolder }, TimeProvider.System, NullLoggerFactory.Instance);
}
