package dev.weft.slf4j;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weft.Channel;
import dev.weft.Loop;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The MDC through Weft's context, with Logback as the backend (selected by -Dslf4j.provider, as users do). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WeftMdcAdapterTest {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(WeftMdcAdapterTest.class);
    private ListAppender<ILoggingEvent> captured;

    @BeforeEach
    void capture() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        // Logback's default configuration prints every line on the console; the test reads them from its own appender
        root.detachAppender("console");
        captured = new ListAppender<>() {
            @Override
            protected void append(ILoggingEvent event) {
                event.prepareForDeferredProcessing(); // the MDC of the logging task, as Logback's AsyncAppender takes it
                super.append(event);
            }
        };
        captured.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
        captured.start();
        root.addAppender(captured);
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(captured);
    }

    @Test
    void theBridgeIsSlf4jsMdcAndLogbacksToo() {
        assertThat(MDC.getMDCAdapter()).isInstanceOf(WeftMdcAdapter.class);
        assertThat(((LoggerContext) LoggerFactory.getILoggerFactory()).getMDCAdapter())
                .isSameAs(MDC.getMDCAdapter());
    }

    @Test
    void mdcValuesFollowEachOfAThousandTasksAcrossLoopsIntoTheirChildrenAndNeverIntoAnotherTask() {
        int tasks = 1_000;
        Weft.run(Weft.options().loops(4).handleSigint(false), () -> {
            List<Loop> loops = Weft.loops();
            Channel<Integer> allBound = Channel.create(tasks);
            Channel<Integer> go = Channel.create(tasks);
            TaskScope.run(scope -> {
                for (int i = 0; i < tasks; i++) {
                    final int id = i;
                    scope.spawnOn(loops.get(i % loops.size()), "worker-" + i, () -> {
                        MDC.put("task", "t" + id);
                        allBound.send(id);
                        go.receive(); // every task has bound its value before any logs: the lines interleave
                        LOG.info("first t{} on {}", id, Weft.currentLoop().name());
                        Weft.moveTo(loops.get((id + 1) % loops.size()));
                        LOG.info("moved t{} on {}", id, Weft.currentLoop().name());
                        TaskScope.run(inner -> {
                            inner.spawn(() -> {
                                LOG.info("child of t{} on {}", id, Weft.currentLoop().name());
                                MDC.put("task", "changed-by-child"); // the child's own context only
                                return null;
                            });
                            return null;
                        });
                        LOG.info("after child t{} on {}", id, Weft.currentLoop().name());
                        MDC.remove("task");
                        LOG.info("removed t{} on {}", id, Weft.currentLoop().name());
                        return null;
                    });
                }
                for (int i = 0; i < tasks; i++) {
                    allBound.receive();
                }
                for (int i = 0; i < tasks; i++) {
                    go.send(i);
                }
                return null;
            });
            assertThat(MDC.get("task")).as("the root never bound it").isNull();
            return null;
        });
        Pattern line = Pattern.compile("(first|moved|child of|after child|removed) t(\\d+) on (.+)");
        List<ILoggingEvent> events = List.copyOf(captured.list);
        assertThat(events).hasSize(5 * tasks);
        java.util.Set<String> loopsSeen = new java.util.HashSet<>();
        for (ILoggingEvent e : events) {
            Matcher m = line.matcher(e.getFormattedMessage());
            assertThat(m.matches()).as(e.getFormattedMessage()).isTrue();
            loopsSeen.add(m.group(3));
            Map<String, String> mdc = e.getMDCPropertyMap();
            if (m.group(1).equals("removed")) {
                assertThat(mdc).as(e.getFormattedMessage()).doesNotContainKey("task");
            } else {
                assertThat(mdc).as(e.getFormattedMessage()).containsEntry("task", "t" + m.group(2));
            }
        }
        assertThat(loopsSeen).as("lines from every loop").hasSize(4);
    }

    @Test
    void outsideATaskTheBackendsThreadLocalMdcIsUsedAsWithoutTheBridge() throws InterruptedException {
        MDC.put("user", "alice");
        try {
            LOG.info("plain thread");
            Thread other = Thread.ofPlatform().start(() -> LOG.info("other thread"));
            other.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(other.isAlive()).isFalse();
        } finally {
            MDC.remove("user");
        }
        assertThat(captured.list).hasSize(2);
        assertThat(captured.list.get(0).getMDCPropertyMap()).containsEntry("user", "alice");
        assertThat(captured.list.get(1).getMDCPropertyMap()).doesNotContainKey("user");
        assertThat(MDC.get("user")).isNull();
    }
}
