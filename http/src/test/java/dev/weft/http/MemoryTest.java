package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.Weft;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryPlan;
import dev.weft.memory.MemoryPlanException;
import dev.weft.memory.StackBound;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The plan at startup, and a memory-hungry request that fails alone. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryTest {
    private static final long BOUND = TestServer.BOUND_SECONDS;

    @Test
    void thePlanSumsHandlerAndConnectionSlotsAndIsCommittedOnTheParentBudget() throws Exception {
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(8).withConnectionsMax(16)
                .withBodyBytesMax(32 * 1024).withResponseBytesMax(16 * 1024).withHandlerMemoryBytes(2 << 20);
        Weft.run(Weft.options().loops(1).handleSigint(false), () -> {
            MemoryBudget parent = MemoryBudget.root().child("test parent", 256L << 20);
            try (HttpServer s = HttpServer.bind(config, Router.builder().build(), parent, null)) {
                MemoryPlan p = s.plan();
                assertThat(p.components()).extracting(MemoryPlan.Component::count).containsExactly(8L, 8L, 16L);
                MemoryPlan.Component slots = p.components().get(0);
                assertThat(slots.sizeBytesEach()).as("both buffers are in a handler slot")
                        .isGreaterThan(32 * 1024 + 16 * 1024);
                assertThat(p.components().get(1).sizeBytesEach()).as("budget plus an eighth of grace")
                        .isEqualTo((2 << 20) + (2 << 20) / 8);
                assertThat(parent.usedBytes()).as("the plan is held on the parent").isEqualTo(p.totalBytes());
                assertThat(s.planTable()).contains("handler slots", "handler memory", "connection slots", "FITS");
            }
            assertThat(parent.usedBytes()).as("released by close").isZero();
            return null;
        });
    }

    /** A handler's work, whose stack the stack test bounds. */
    static long handlerWork(long x) {
        long y = x * 31;
        return handlerStep(y, x) + 1;
    }

    static long handlerStep(long a, long b) {
        return a ^ b;
    }

    static long recursiveWork(long n) {
        return n <= 0 ? 0 : recursiveWork(n - 1) + 1;
    }

    @Test
    void aDeclaredHandlerStackBoundIsALineOfThePlanCountedPerHandler() throws Exception {
        StackBound.Analyser analyser = StackBound.analyser().classPath(List.of(Path.of("target/test-classes")));
        StackBound stack = analyser.analyse(MemoryTest.class.getName() + "#handlerWork");
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(8).withConnectionsMax(16)
                .withHandlerStack(stack);
        assertThat(config.handlerStackBytes()).isEqualTo(stack.bytes());
        assertThatThrownBy(() -> config.withHandlerStack(analyser.analyse(MemoryTest.class.getName() + "#recursiveWork")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no bound")
                .hasMessageContaining("RECURSION").hasMessageContaining("@MaxDepth");
        Weft.run(Weft.options().loops(1).handleSigint(false), () -> {
            MemoryBudget parent = MemoryBudget.root().child("test parent", 256L << 20);
            try (HttpServer s = HttpServer.bind(config, Router.builder().build(), parent, null)) {
                MemoryPlan p = s.plan();
                assertThat(p.components()).filteredOn(c -> c.name().startsWith("handler stacks")).singleElement()
                        .satisfies(c -> {
                            assertThat(c.count()).isEqualTo(8);
                            assertThat(c.sizeBytesEach()).isEqualTo(stack.bytes());
                        });
                assertThat(parent.usedBytes()).as("the stacks are committed with the rest").isEqualTo(p.totalBytes());
                assertThat(s.planTable()).contains("handler stacks (bound)");
            }
            return null;
        });
    }

    @Test
    void aConfigurationThatDoesNotFitFailsAtStartupWithTheTable() throws Exception {
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1000).withBodyBytesMax(1 << 20);
        Weft.run(Weft.options().loops(1).handleSigint(false), () -> {
            MemoryBudget parent = MemoryBudget.root().child("small", 64L << 20);
            assertThatThrownBy(() -> HttpServer.bind(config, Router.builder().build(), parent, null))
                    .isInstanceOf(MemoryPlanException.class)
                    .hasMessageContaining("handler slots").hasMessageContaining("1000")
                    .hasMessageContaining("DOES NOT FIT");
            assertThat(parent.usedBytes()).isZero();
            return null;
        });
    }

    @Test
    void aRequestPastItsHandlerBudgetFailsAloneWith507AndTheOthersAreServed() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        CountDownLatch sleeping = new CountDownLatch(1);
        Router router = Router.builder()
                .get("/alloc", (rq, rs) -> example.http.ExampleServer.router(log::add)
                        .match("GET", "/alloc").handler().handle(rq, rs))
                .get("/sleep", (rq, rs) -> {
                    sleeping.countDown();
                    Thread.sleep(200);
                    rs.body("slept");
                })
                .build();
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(4).withHandlerMemoryBytes(4 << 20);
        try (TestServer t = TestServer.start(config, router)) {
            var other = t.client.sendAsync(HttpRequest.newBuilder(t.uri("/sleep")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sleeping.await(BOUND, TimeUnit.SECONDS)).isTrue();
            HttpResponse<String> hungry = t.get("/alloc?mb=64");
            assertThat(hungry.statusCode()).isEqualTo(507);
            assertThat(hungry.body()).contains("this request alone failed", "memory budget 'http handler",
                    "refused 1.0 MiB");
            assertThat(log).singleElement().asString().startsWith("alloc: cleanup ran with 4 MiB allocated");
            assertThat(other.get(BOUND, TimeUnit.SECONDS).body()).isEqualTo("slept");
            assertThat(t.get("/alloc?mb=2").statusCode()).as("the budget is whole again").isEqualTo(200);
            ServerStatistics st = t.server().statistics();
            assertThat(st.memoryFailures()).isEqualTo(1);
            assertThat(st.handlerReservedBytes()).isZero();
        }
    }
}
