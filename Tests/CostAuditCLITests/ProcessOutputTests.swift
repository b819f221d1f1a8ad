import Foundation
import Testing

@Suite("The tests' process runner reads a child's two output streams without hanging")
struct ProcessOutputTests {
    @Test("a child that writes 300,000 bytes to stderr before its stdout ends is read to the end of both")
    func fullStderrBeforeStdoutEnds() throws {
        // 300,000 bytes are more than a pipe holds (64 KiB), so a runner that read stdout to its end before
        // reading stderr would wait forever for a child that waits for room in the stderr pipe.
        let run = try runExecutable(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", #"head -c 300000 /dev/zero | tr '\0' e >&2; echo done"#]
        )
        #expect(run.status == 0)
        #expect(run.stdout == "done\n")
        #expect(run.stderr.utf8.count == 300_000)
        #expect(run.stderr.utf8.allSatisfy { $0 == UInt8(ascii: "e") })
    }

    @Test(
        "a child that echoes 1,000,000 bytes of stdin gets all of it and is read to the end",
        .timeLimit(.minutes(1))
    )
    func largeInputEchoed() throws {
        // `cat` writes what it reads: past 64 KiB it waits for the runner to read its stdout, so a runner that
        // wrote all of stdin before reading would wait forever for a child that waits for it.
        let input = Data((0..<1_000_000).map { UInt8(ascii: "a") + UInt8($0 % 26) })
        let run = try runExecutable(URL(fileURLWithPath: "/bin/sh"), ["-c", "cat; echo done >&2"], stdinBytes: input)
        #expect(run.status == 0)
        #expect(run.stdout.utf8.count == 1_000_000)
        #expect(Data(run.stdout.utf8) == input)
        #expect(run.stderr == "done\n")
    }
}
