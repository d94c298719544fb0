// Placeholder: implemented by the component's owner.
