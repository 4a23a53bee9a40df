/**
 * The admin page's Webhooks section (docs/integration.md#3-webhooks): add an endpoint (its signing secret is
 * shown once, right after), the endpoints with their delivery counts, enable/disable, rotate the secret,
 * delete, and the delivery log of one endpoint (newest first, older pages on demand). Loads and refreshes
 * its own data; its actions report on the page's status line (`act`).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { WEBHOOK_EVENT_TYPES, type AdminWebhook, type AdminWebhookCreated, type AdminWebhookDeliveriesResponse, type AdminWebhookDelivery, type AdminWebhookPatchResponse, type AdminWebhooksResponse, type WebhookEventType } from '../../../src/protocol/webhooks.js';
import { adminCall } from './api.js';
import { ConfirmButton, type Act } from './panels.js';

const REFRESH_MS = 3000;
const PAGE = 50;

const when = (t: number | null) => (t === null ? '' : new Date(t).toLocaleString());

export function WebhooksPanel({ act }: { act: Act }) {
  const [hooks, setHooks] = useState<AdminWebhook[] | null>(null);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<Set<WebhookEventType>>(new Set());
  /** The secret of the endpoint just added or rotated: shown until dismissed, never fetched again. */
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [log, setLog] = useState<AdminWebhookDelivery[]>([]);
  const [more, setMore] = useState(false);

  const load = useCallback(async () => {
    const r = await adminCall<AdminWebhooksResponse>('GET', 'webhooks');
    setHooks(r.webhooks);
  }, []);

  const loadLog = useCallback(async (id: string) => {
    const r = await adminCall<AdminWebhookDeliveriesResponse>('GET', `webhooks/${encodeURIComponent(id)}/deliveries?limit=${PAGE}`);
    setLog(r.deliveries);
    setMore(r.deliveries.length === PAGE);
  }, []);

  useEffect(() => {
    let live = true;
    const tick = () => {
      if (!live) return;
      void load().catch(() => {});
      if (open) void loadLog(open).catch(() => {});
    };
    tick();
    const t = setInterval(tick, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [load, loadLog, open]);

  const run: Act = useCallback(
    async (label, fn) => {
      const ok = await act(label, fn);
      await load().catch(() => {});
      return ok;
    },
    [act, load],
  );

  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(`Added webhook ${url.trim()}`, async () => {
      const r = await adminCall<AdminWebhookCreated>('POST', 'webhooks', { url: url.trim(), description: description.trim(), events: [...events] });
      setSecret({ id: r.webhook.id, secret: r.secret });
      setUrl('');
      setDescription('');
      setEvents(new Set());
    });
  };

  const toggleEvent = (t: WebhookEventType) =>
    setEvents((s) => {
      const n = new Set(s);
      if (n.has(t)) n.delete(t);
      else n.add(t);
      return n;
    });

  const older = async () => {
    if (!open || !log.length) return;
    const r = await adminCall<AdminWebhookDeliveriesResponse>('GET', `webhooks/${encodeURIComponent(open)}/deliveries?limit=${PAGE}&before=${log[log.length - 1].id}`);
    setLog((l) => [...l, ...r.deliveries]);
    setMore(r.deliveries.length === PAGE);
  };

  const enc = encodeURIComponent;
  return (
    <section aria-labelledby="webhooks-h">
      <h2 id="webhooks-h">Webhooks</h2>
      <p className="muted small">
        Each endpoint receives signed JSON events (messages created, edited, reacted, deleted; members joined and left; rooms created), at least once, retried with backoff.
      </p>
      <form className="admin-form" onSubmit={add} aria-label="Add a webhook endpoint">
        <label>
          Endpoint URL
          <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/scale-chat" autoComplete="off" required />
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={200} autoComplete="off" />
        </label>
        <fieldset className="webhook-events">
          <legend className="small">Events (none checked: every event)</legend>
          {WEBHOOK_EVENT_TYPES.map((t) => (
            <label key={t} className="small">
              <input type="checkbox" checked={events.has(t)} onChange={() => toggleEvent(t)} /> {t}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={!url.trim()}>
          Add endpoint
        </button>
      </form>
      {secret && (
        <div className="webhook-secret" role="alert" data-webhook-secret={secret.id}>
          <p>
            Signing secret of <strong>{secret.id}</strong>, shown only now: give it to the receiver, which checks <code>X-ScaleChat-Signature</code> with it.
          </p>
          <code className="secret">{secret.secret}</code>{' '}
          <button type="button" onClick={() => setSecret(null)}>
            I have saved it
          </button>
        </div>
      )}
      {hooks === null ? (
        <p className="muted small">Loading…</p>
      ) : hooks.length === 0 ? (
        <p className="muted small">No webhook endpoints.</p>
      ) : (
        <table className="admin-table" aria-label="Webhook endpoints">
          <thead>
            <tr>
              <th>Endpoint</th>
              <th>Events</th>
              <th>Pending / failed / delivered</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {hooks.map((w) => (
              <tr key={w.id} data-webhook={w.id}>
                <td>
                  <div className="webhook-url">{w.url}</div>
                  <div className="muted small">
                    {w.id} {!w.enabled && <span className="tag">disabled</span>} {w.description}
                  </div>
                </td>
                <td className="small">{w.events.length ? w.events.join(', ') : 'all'}</td>
                <td data-col="counts">
                  {w.pending} / {w.failed} / {w.delivered}
                </td>
                <td className="row-actions">
                  <button type="button" onClick={() => void run(`${w.enabled ? 'Disabled' : 'Enabled'} ${w.id}`, () => adminCall('PATCH', `webhooks/${enc(w.id)}`, { enabled: !w.enabled }))}>
                    {w.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <button type="button" aria-pressed={open === w.id} onClick={() => (open === w.id ? setOpen(null) : (setOpen(w.id), setLog([]), void loadLog(w.id)))}>
                    Delivery log
                  </button>
                  <ConfirmButton
                    label="Rotate secret"
                    onConfirm={() =>
                      void run(`New secret for ${w.id}`, async () => {
                        const r = await adminCall<AdminWebhookPatchResponse>('PATCH', `webhooks/${enc(w.id)}`, { rotateSecret: true });
                        if (r.secret) setSecret({ id: w.id, secret: r.secret });
                      })
                    }
                  />
                  <ConfirmButton
                    label="Delete"
                    onConfirm={() =>
                      void run(`Deleted ${w.id}`, async () => {
                        await adminCall('DELETE', `webhooks/${enc(w.id)}`);
                        if (open === w.id) setOpen(null);
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <>
          <h3>Delivery log of {open}</h3>
          {log.length === 0 ? (
            <p className="muted small">No deliveries yet.</p>
          ) : (
            <table className="admin-table" aria-label="Delivery log">
              <thead>
                <tr>
                  <th>Event</th>
                  <th>Type</th>
                  <th>State</th>
                  <th>Attempts</th>
                  <th>Last result</th>
                  <th>Next attempt</th>
                  <th>Delivered</th>
                </tr>
              </thead>
              <tbody>
                {log.map((d) => (
                  <tr key={d.id} data-delivery={d.eventId} data-state={d.state}>
                    <td className="small">
                      <code>{d.eventId}</code>
                    </td>
                    <td>{d.type}</td>
                    <td>{d.state}</td>
                    <td>{d.attempts}</td>
                    <td>{d.lastStatus ?? d.lastError ?? ''}</td>
                    <td className="small">{when(d.nextAt)}</td>
                    <td className="small">{when(d.deliveredAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {more && (
            <button type="button" onClick={() => void older().catch(() => {})}>
              Older deliveries
            </button>
          )}
        </>
      )}
    </section>
  );
}
