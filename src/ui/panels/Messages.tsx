/** The messages panel: import warnings, load errors and other problems, one line each. */
import { useStudio } from '../state/store.ts';

const ICON = { error: '✖', warning: '⚠', info: 'ℹ' } as const;

export function Messages() {
  const messages = useStudio((s) => s.messages);
  return (
    <section className="messages" data-testid="messages" aria-label="Messages" aria-live="polite">
      <h2 className="panel-title">Messages</h2>
      {messages.length === 0 ? (
        <p className="panel-empty">No messages</p>
      ) : (
        <ul>
          {[...messages].reverse().map((m) => (
            <li key={m.id} className={`message message-${m.level}`} data-testid={`message-${m.level}`}>
              <span className="message-icon" aria-hidden>
                {ICON[m.level]}
              </span>
              {m.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
