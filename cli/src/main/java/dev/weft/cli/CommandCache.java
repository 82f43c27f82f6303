package dev.weft.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The child JVM's command line of {@code weft run}, kept for the {@code ./weft} launcher script so that the next
 * identical invocation execs the child JVM directly instead of starting this command line's JVM first (that JVM was
 * the largest part of {@code weft run}'s start-up after the agent's own).
 *
 * <p>The script names the file ({@code -Dweft.run.commandFile}): a hash of everything the command line is computed
 * from (the arguments, the working folder, the JDK, the Weft jars' times and sizes, and the time and size of a
 * {@code -jar} program, whose manifest names the main class). This class writes the arguments, each ended by a NUL
 * byte, to a temporary file renamed over the entry (a reader sees a whole entry or none), and keeps at most
 * {@link #ENTRIES_MAX} entries in the folder, deleting the oldest. An invocation that fails before its command is
 * computed (a usage error) writes nothing, so its message and status stay the launcher's. Exec'd, the child is the
 * process the user started: SIGINT and SIGTERM reach the program directly, and its exit status is the process's.
 *
 * <p>Failures to write are ignored: the next run goes through the launcher again.
 */
final class CommandCache {
    /** The system property through which the launcher script names the entry to write. */
    static final String FILE_PROPERTY = "weft.run.commandFile";
    /** Entries kept in the folder; older ones are deleted. */
    static final int ENTRIES_MAX = 256;

    private CommandCache() {}

    /** Writes {@code command} to {@code file}, NUL-separated, atomically; then trims the folder. Never throws. */
    static void write(Path file, List<String> command) {
        for (String arg : command) {
            if (arg.indexOf('\0') >= 0) {
                return; // cannot be kept NUL-separated (and no JVM accepts it anyway)
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String arg : command) {
            sb.append(arg).append('\0');
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = dir.resolve(".tmp-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            Files.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.deleteIfExists(tmp);
                return;
            }
            trim(dir);
        } catch (IOException | RuntimeException e) {
            // not kept: the next run starts the launcher again
        }
    }

    /** Reads an entry back (for tests): the arguments {@link #write} wrote. */
    static List<String> read(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = s.indexOf('\0'); i >= 0; i = s.indexOf('\0', from)) {
            out.add(s.substring(from, i));
            from = i + 1;
        }
        return out;
    }

    private static void trim(Path dir) throws IOException {
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.filter(p -> !p.getFileName().toString().startsWith(".tmp-")).toList();
        }
        if (entries.size() <= ENTRIES_MAX) {
            return;
        }
        List<Path> byAge = new ArrayList<>(entries);
        byAge.sort(Comparator.comparingLong(p -> {
            try {
                return Files.getLastModifiedTime(p).toMillis();
            } catch (IOException gone) {
                return Long.MIN_VALUE;
            }
        }));
        for (Path p : byAge.subList(0, byAge.size() - ENTRIES_MAX)) {
            Files.deleteIfExists(p);
        }
    }
}
