/** Shown when new messages arrived below while the user reads older ones: jumps to the bottom. */
export function NewMessagesPill({ count, onClick }: { count: number; onClick: () => void }) {
  return (
    <button type="button" className="pill" onClick={onClick}>
      {count === 1 ? '1 new message' : `${count} new messages`} ↓
    </button>
  );
}
