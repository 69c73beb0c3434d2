/** The faults of `npm run demo`: a paused replica, drift in `orders` on the copy, orphaned `order_items`. */
export const DEMO_FAULTS = ['pause=us-west', 'drift=orders:0.05', 'orphans=order_items:3'];
