package dev.weft.slf4j;

import dev.weft.TaskScope;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The code of every {@code {@snippet}} in this module's Javadoc, compiled with the tests; Javadoc shows each region
 * from here ({@code {@snippet class=dev.weft.slf4j.Snippets region=...}}).
 */
@SuppressWarnings("unused")
final class Snippets {
    private Snippets() {}

    static void mdc(Logger log) {
        // @start region=mdc
        // java -Dslf4j.provider=dev.weft.slf4j.WeftServiceProvider ...   (with Logback or another SLF4J backend)
        TaskScope.run(scope -> {
            MDC.put("requestId", "42");                     // this task's context
            scope.spawn("db", () -> {
                log.info("query");                          // logged with requestId=42, on any loop
            });
        });
        // @end
    }

    static void provider() {
        // @start region=provider
        // java -Dslf4j.provider=dev.weft.slf4j.WeftServiceProvider -cp app.jar:weft-slf4j.jar:logback-classic.jar:... Main
        // or in the program, before its first logger:
        System.setProperty("slf4j.provider", WeftServiceProvider.class.getName());
        // @end
    }
}
